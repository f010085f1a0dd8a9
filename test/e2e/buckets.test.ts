import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroFile, brazeKey, HOUR, idsOf, records } from '../helpers/braze-files.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { S3_KEY, startS3, type LocalS3 } from '../helpers/s3-server.js';
import {
  createExport,
  deliveredIds,
  feedKeys,
  startSandbox,
  startService,
  waitFor,
  type Sandbox,
  type Service,
} from './harness.js';

/**
 * A bucket source end to end, as a user runs it: the built service and the sandbox as child processes, a local S3
 * server (s3rver) holding Avro files in Braze's layout, written by this test. Every event reaches the sandbox once,
 * on its feed, filed under the bucket's source; files added later are read alone; a restart reads nothing again.
 */

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.pushnotification.Open';
const BUCKET = 'braze-currents-e2e';
const PREFIX = 'brand-b/';

let s3: LocalS3;
let sandbox: Sandbox;
let service: Service;
beforeAll(async () => {
  [s3, sandbox, service] = await Promise.all([startS3(), startSandbox(), startService()]);
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  await Promise.all([service?.stop(), sandbox?.stop(), s3?.stop()]);
  service?.cleanup();
});

/** Files of both types in the current hour; returns the ids by type. */
async function write(name: string, count: number): Promise<{ send: string[]; open: string[] }> {
  const hour = Math.floor(Date.now() / HOUR) * HOUR;
  const send = records(SEND, count);
  const open = records(OPEN, count);
  await s3.put(BUCKET, brazeKey(PREFIX, SEND, hour, `${name}-send`), await avroFile(SEND, send));
  await s3.put(BUCKET, brazeKey(PREFIX, OPEN, hour, `${name}-open`), await avroFile(OPEN, open));
  return { send: idsOf(send), open: idsOf(open) };
}

interface SourceStatus {
  received_events: number;
  lag_seconds: number | null;
  message: string | null;
  last_error: string | null;
  last_run_at: string | null;
  newest_object_at: string | null;
}

async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return sampleValue(parsePrometheus(text), name, labels);
}

describe('a bucket source, end to end', () => {
  it('delivers every event of the bucket once, on its feed; then only new files; and nothing again after a restart', async () => {
    const first = await write('first', 40);
    const created = await service.api<{ id: string }>('POST', '/v1/sources', {
      id: 'brand-b',
      name: 'Brand B (S3)',
      kind: 's3',
      bucket: BUCKET,
      prefix: PREFIX,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      force_path_style: true,
      access_key_id: S3_KEY,
      secret_access_key: S3_KEY,
      poll_interval_seconds: 10,
    });
    expect(created.status).toBe(201);
    const keys = feedKeys('bucket', ['ios', 'unbound']);
    await createExport(service, sandbox, keys, { events: [SEND, OPEN], sources: ['brand-b'] });

    const all = () => deliveredIds(sandbox, [keys.ios!.key, keys.unbound!.key]);
    await waitFor(async () => (await all()).size >= 80, 'the first files to reach the sandbox', 30_000);
    // On its feed: the app-bound opens (platform ios) to the iOS feed, the email sends to Unbound; once each.
    const ios = await deliveredIds(sandbox, [keys.ios!.key]);
    const unbound = await deliveredIds(sandbox, [keys.unbound!.key]);
    expect([...ios.keys()].sort()).toEqual([...first.open].sort());
    expect([...unbound.keys()].sort()).toEqual([...first.send].sort());
    expect([...ios.values(), ...unbound.values()].every((n) => n === 1)).toBe(true);

    const trace = await service.api<{ log: { source: string } }>('GET', `/v1/events/${first.send[0]}`);
    expect(trace.body.log.source).toBe('brand-b');
    const status = (await service.api<SourceStatus>('GET', '/v1/sources/brand-b/status')).body;
    expect(status).toMatchObject({ received_events: 80, last_error: null });
    expect(status.message).toMatch(/listing from date=.*next poll in/);
    expect(status.lag_seconds).not.toBeNull();
    expect(await metric('currents_source_objects_total', { source: 'brand-b' })).toBe(2);
    expect(await metric('currents_source_events_total', { source: 'brand-b' })).toBe(80);
    expect(await metric('currents_events_accepted_total', { source: 'brand-b' })).toBe(80);
    expect(await metric('currents_source_lag_seconds', { source: 'brand-b' })).toBeGreaterThanOrEqual(0);

    // New files: only they are read, at the next poll.
    const second = await write('second', 15);
    await waitFor(async () => (await all()).size >= 110, 'the new files to reach the sandbox', 30_000);
    const after = await all();
    expect([...after.keys()].sort()).toEqual([...first.send, ...first.open, ...second.send, ...second.open].sort());
    expect([...after.values()].every((n) => n === 1)).toBe(true);
    expect(await metric('currents_source_objects_total', { source: 'brand-b' })).toBe(4);

    // A restart: the same data folder, a new process; its first poll reads nothing again.
    const { dataDir } = service;
    await service.stop();
    const restartedAt = Date.now();
    service = await startService({ dataDir });
    await waitFor(
      async () => {
        const s = (await service.api<SourceStatus>('GET', '/v1/sources/brand-b/status')).body;
        return s.last_run_at !== null && Date.parse(s.last_run_at) > restartedAt ? s : undefined;
      },
      'a poll after the restart',
      30_000,
    );
    expect(await metric('currents_source_objects_total', { source: 'brand-b' })).toBeUndefined();
    expect((await service.api<SourceStatus>('GET', '/v1/sources/brand-b/status')).body.received_events).toBe(110);
    const third = await write('third', 5);
    await waitFor(async () => (await all()).size >= 120, 'files written after the restart', 30_000);
    const final = await all();
    expect(final.size).toBe(120);
    expect([...final.values()].every((n) => n === 1)).toBe(true);
    expect([...third.send, ...third.open].every((id) => final.has(id))).toBe(true);
    expect(await metric('currents_source_objects_total', { source: 'brand-b' })).toBe(2);
  }, 120_000);
});
