import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { account, settle, summary, unsettledPartitions, type Accounting } from './accounting.js';
import { createExport, event, feedKeys, startSandbox, startService, type Sandbox, type Service } from './harness.js';

/**
 * A crash (SIGKILL) in the middle of operator actions, and an edit after the restart, while mParticle (the sandbox)
 * answers slowly so that chunks are in flight. After the restart every event must still reach mParticle (resent only
 * under a source_request_id it has seen) or be counted, and delivery must run to the end: no partition may keep a
 * chunk in flight for good while the feed says it is flowing.
 */

const ENV = { CURRENTS_PARTITIONS: '4', CURRENTS_READ_CHUNK: '300' };
const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.email.Open';
const LATENCY_MS = 1000;

let sandbox: Sandbox;
let service: Service | null = null;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterEach(async () => {
  await service?.stop();
  service?.cleanup();
  service = null;
  await sandbox?.clearFaults();
});

afterAll(async () => {
  await sandbox?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function push(svc: Service, events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) expect((await svc.push(events.slice(i, i + 100))).status).toBe(200);
}

async function restart(svc: Service): Promise<Service> {
  expect(await svc.stop('SIGKILL')).toBeNull();
  return startService({ dataDir: svc.dataDir, env: ENV });
}

function expectAllAccounted(a: Accounting, label: string): void {
  const facts = `${label}: ${summary(a)}`;
  expect.soft(a.missing.length, `events mParticle never received: ${facts}`).toBe(0);
  expect.soft(a.duplicated.length, `events sent again under a new source_request_id: ${facts}`).toBe(0);
  expect.soft(a.missingTracedDelivered, `missing events whose trace says "delivered": ${facts}`).toEqual([]);
  expect.soft(a.receivedTracedOtherwise, `received events whose trace says otherwise: ${facts}`).toEqual([]);
  expect.soft(a.totals, `status totals: ${facts}`).toMatchObject({
    delivered: a.pushed,
    skipped: 0,
    dead_lettered: 0,
    dropped: 0,
  });
}

describe('a crash during operator actions, and an edit after the restart', { timeout: 120_000 }, () => {
  it('loses nothing when the service is killed while pausing and merge_batches is edited before resuming', async () => {
    service = await startService({ env: ENV });
    const keys = feedKeys('kill-pause', ['unbound']);
    const key = keys.unbound!.key;
    const id = await createExport(service, sandbox, keys, {
      name: 'killed while pausing',
      events: [SEND, OPEN],
      merge_batches: false,
      rate_limit: 0,
    });
    await sandbox.faults({ latencyMs: LATENCY_MS });
    const events = Array.from({ length: 4000 }, (_, i) => event(i % 2 ? SEND : OPEN, `kp-user-${i % 40}`));
    await push(service, events);

    await sleep(2_500);
    // The pause is recorded at once; its lanes stop as their requests in flight come back. The crash comes before.
    const pausing = service.api('POST', `/v1/exports/${id}/pause`).catch(() => null);
    await sleep(400);
    service = await restart(service);
    await pausing;
    expect((await service.api('PATCH', `/v1/exports/${id}`, { merge_batches: true })).status).toBe(200);
    expect((await service.api('POST', `/v1/exports/${id}/resume`)).status).toBe(200);
    await sleep(2_500);
    await sandbox.clearFaults();

    const { settled, status } = await settle(service, id, 60_000);
    expect.soft(settled, `the feed settles: ${unsettledPartitions(status).join('; ')}`).toBe(true);
    expectAllAccounted(
      await account(service, sandbox, id, [key], events),
      'killed while pausing, merge edited after the restart',
    );
    await service.api('DELETE', `/v1/exports/${id}`);
  });

  it('runs to the end after edits, pauses and resumes, a crash, and an edit after the restart', async () => {
    service = await startService({ env: ENV });
    const keys = feedKeys('kill-edit', ['unbound']);
    const key = keys.unbound!.key;
    const id = await createExport(service, sandbox, keys, {
      name: 'edits, pauses, a crash, an edit',
      events: [SEND, OPEN],
      merge_batches: false,
      rate_limit: 0,
    });
    await sandbox.faults({ latencyMs: LATENCY_MS });
    const events = Array.from({ length: 6000 }, (_, i) => event(i % 2 ? SEND : OPEN, `ke-user-${i % 40}`));
    await push(service, events);

    const edit = async (patch: Record<string, unknown>) =>
      expect((await service!.api('PATCH', `/v1/exports/${id}`, patch)).status).toBe(200);
    const pauseEditResume = async (patch: Record<string, unknown>) => {
      expect((await service!.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
      await edit(patch);
      expect((await service!.api('POST', `/v1/exports/${id}/resume`)).status).toBe(200);
    };
    await sleep(2_000);
    await pauseEditResume({ merge_batches: true });
    await sleep(2_000);
    await edit({ merge_batches: false });
    await sleep(2_000);
    await pauseEditResume({ event_names: { [SEND]: 'Email Sent (renamed)' } });
    await sleep(2_000);
    service = await restart(service);
    await edit({ merge_batches: true });
    await sleep(2_000);
    await pauseEditResume({ merge_batches: false });
    await sleep(1_000);
    await sandbox.clearFaults();

    // mParticle is fast again: every partition must drain, none may keep a chunk in flight.
    const { settled, status, waitedMs } = await settle(service, id, 60_000);
    expect
      .soft(settled, `after ${waitedMs} ms: feed ${status.feeds[0]?.state}; ${unsettledPartitions(status).join('; ')}`)
      .toBe(true);
    expectAllAccounted(await account(service, sandbox, id, [key], events), 'edits, pauses, a crash and an edit');
    await service.api('DELETE', `/v1/exports/${id}`);
  });
});
