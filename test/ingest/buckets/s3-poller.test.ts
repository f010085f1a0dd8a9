import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBucket, type StorageConfig } from '../../../src/ingest/buckets/open.js';
import { SETTLE } from '../../../src/ingest/buckets/poller.js';
import type { Store } from '../../../src/store/port.js';
import { avroFile, brazeKey, HOUR, hourText, idsOf, records } from '../../helpers/braze-files.js';
import { S3_KEY, startS3, type LocalS3 } from '../../helpers/s3-server.js';
import { counting, createSource, logged, observer, poll, pollerOf, secrets, tempStore } from './helpers.js';

/**
 * The poller of an S3 source against a real S3-compatible server (s3rver, started here on a free port) and a real
 * SQLite store: Braze's layout written by the test, read once each, in time order, and recorded.
 */

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.pushnotification.Open';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

let store: Store;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
});

let buckets = 0;
async function bucket(): Promise<string> {
  const name = `currents-${++buckets}-${Date.now().toString(36)}`;
  await s3.createBucket(name);
  return name;
}

const s3Config = (name: string, over: Partial<StorageConfig> = {}): StorageConfig =>
  ({
    kind: 's3',
    bucket: name,
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: S3_KEY,
    secretAccessKeyEnc: secrets.encrypt(S3_KEY),
    prefix: 'brand-b/',
    pollIntervalSeconds: 60,
    from: null,
    ...over,
  }) as StorageConfig;

async function put(name: string, type: string, hour: number, file: string, count: number): Promise<string[]> {
  const recs = records(type, count);
  await s3.put(name, brazeKey('brand-b/', type, hour, file), await avroFile(type, recs));
  return idsOf(recs);
}

/** The tests run at a fixed time, half past an hour, so that no hour turns while they run. */
const current = () => Math.floor(Date.now() / HOUR) * HOUR;
const clock = (hour: number) => () => hour + 30 * 60_000;

describe('polling an S3 bucket', () => {
  it('reads each new object once, in time order; then only new ones; and nothing again after a restart', async () => {
    const name = await bucket();
    const now = current();
    const old = await put(name, SEND, now - 5 * HOUR, 'old', 3);
    const b1 = await put(name, OPEN, now - HOUR, 'b1', 4);
    const a1 = await put(name, SEND, now - HOUR, 'a1', 5);
    const a2 = await put(name, SEND, now, 'a2', 6);
    const b2 = await put(name, OPEN, now, 'b2', 7);
    const source = await createSource(store, s3Config(name));

    const seen = observer();
    const first = await poll(pollerOf(store, source, { observer: seen, now: clock(now) }));
    expect(first).toMatchObject({ objects: 4, events: 22, corrupt: [], unavailable: 0, finished: true });
    const rows = await logged(store);
    // Without `from`, a new source starts with the hour before the current one: older files are left alone.
    expect(rows.map((r) => r.eventId).sort()).toEqual([...a1, ...b1, ...a2, ...b2].sort());
    expect(rows.some((r) => old.includes(r.eventId))).toBe(false);
    expect(rows.every((r) => r.source === source.id)).toBe(true);
    // Time order: every event of the earlier hour was logged before any of the later one.
    const earlier = new Set([...a1, ...b1]);
    const lastEarlier = Math.max(...rows.filter((r) => earlier.has(r.eventId)).map((r) => r.seq));
    const firstLater = Math.min(...rows.filter((r) => !earlier.has(r.eventId)).map((r) => r.seq));
    expect(lastEarlier).toBeLessThan(firstLater);
    expect(seen.reads.map((r) => r.stored).sort()).toEqual([4, 5, 6, 7]);

    const poller = await pollerOf(store, source, { now: clock(now) });
    expect(await poll(poller)).toMatchObject({ objects: 0, events: 0 });
    const a3 = await put(name, SEND, now, 'a3', 2);
    expect(await poll(poller)).toMatchObject({ objects: 1, events: 2 });
    expect(
      (await logged(store))
        .slice(-2)
        .map((r) => r.eventId)
        .sort(),
    ).toEqual([...a3].sort());

    // A restart: a poller with no memory, the same store.
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 0, events: 0 });
    expect(await logged(store)).toHaveLength(24);
    const checkpoints = await store.getObjectCheckpoints(source.id, [brazeKey('brand-b/', SEND, now, 'a3')]);
    expect(checkpoints).toMatchObject([{ events: 2, error: null, hour: now }]);
  });

  it('backfills from `from` a day at a time, then never lists the hours it has passed', async () => {
    const name = await bucket();
    const now = current();
    const before = await put(name, SEND, now - 60 * HOUR, 'before', 2);
    const wanted = [
      ...(await put(name, SEND, now - 50 * HOUR, 'd1', 3)),
      ...(await put(name, OPEN, now - 30 * HOUR, 'd2', 3)),
      ...(await put(name, SEND, now - 2 * HOUR, 'd3', 3)),
      ...(await put(name, OPEN, now, 'd4', 3)),
    ];
    const source = await createSource(store, s3Config(name, { from: now - 50 * HOUR - 20 * 60_000 }));
    const poller = await pollerOf(store, source, { now: clock(now) });
    const report = await poll(poller);
    expect(report).toMatchObject({ objects: 4, events: 12 });
    expect((await logged(store)).map((r) => r.eventId).sort()).toEqual([...wanted].sort());
    expect((await logged(store)).some((r) => before.includes(r.eventId))).toBe(false);
    // Hours are passed once they have settled: the cursor stands SETTLE behind now.
    const cursor = await store.getSourceCursor(source.id);
    expect(cursor).toEqual({
      from: source.config.from,
      start: now - 51 * HOUR,
      hour: Math.floor((clock(now)() - SETTLE) / HOUR) * HOUR,
    });

    const listed = counting(await openBucket(source.config, (enc) => secrets.decrypt(enc)));
    expect(await poll(pollerOf(store, source, { bucket: listed, now: clock(now) }))).toMatchObject({ objects: 0 });
    // Every listing of a folder starts after the date= of the cursor's hour; no key of an older hour comes back
    // (discovery, a restart's first act, sees one key per folder).
    const folderCalls = listed.calls.filter((c) => c.after?.includes('/date='));
    expect(folderCalls.length).toBe(2);
    for (const c of folderCalls) expect(c.after).toBe(`${c.prefix}date=${hourText(cursor!.hour)}`);
    const oldHours = [60, 50, 30].map((h) => hourText(now - h * HOUR));
    const listedOld = listed.listed.filter((k) => oldHours.some((h) => k.includes(`date=${h}`)));
    expect(listedOld.length).toBeLessThanOrEqual(2);
  });

  it('reports a corrupt object by name and byte offset, keeps the events before it, and goes on with the others', async () => {
    const name = await bucket();
    const now = current();
    const recs = records(SEND, 400);
    const good = await avroFile(SEND, recs, { blockSize: 2048 });
    const broken = Buffer.from(good);
    const at = Math.floor(good.length / 2);
    broken.fill(0x7f, at, at + 200);
    const brokenKey = brazeKey('brand-b/', SEND, now, 'broken');
    await s3.put(name, brokenKey, broken);
    const other = await put(name, OPEN, now, 'other', 5);
    const source = await createSource(store, s3Config(name));

    const seen = observer();
    const report = await poll(pollerOf(store, source, { observer: seen, now: clock(now) }));
    expect(report).toMatchObject({ objects: 2, unavailable: 0 });
    expect(report.corrupt).toHaveLength(1);
    const offset = Number(/cannot be read past byte (\d+)/.exec(report.corrupt[0]!)?.[1]);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(at + 200);
    expect(report.corrupt[0]).toContain(`s3://${name}/${brokenKey}`);
    expect(report.corrupt[0]).toMatch(/the other objects go on .* Replace the object to have it read again/);
    const ids = new Set((await logged(store)).map((r) => r.eventId));
    for (const id of other) expect(ids.has(id)).toBe(true);
    const kept = recs.filter((r) => ids.has(r.id as string)).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(400);
    expect(seen.failures).toEqual([{ source: source.id, problem: 'corrupt' }]);

    const [quarantined] = await store.listQuarantine({ limit: 10 });
    expect(quarantined).toMatchObject({
      source: { kind: 'file', path: `s3://${name}/${brokenKey}`, offset, sourceId: source.id },
      eventType: SEND,
    });
    expect(quarantined!.reason).toMatch(new RegExp(`cannot be read past byte ${offset}`));

    // Not read again while it is the same object; read again once replaced.
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 0 });
    await s3.put(name, brokenKey, good);
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({
      objects: 1,
      events: 400 - kept,
      corrupt: [],
    });
  });

  it('reads the objects outside the layout too (no date= folder), once', async () => {
    const name = await bucket();
    const now = current();
    const recs = records(SEND, 3);
    await s3.put(name, 'brand-b/manual/extra.avro', await avroFile(SEND, recs));
    await s3.put(name, 'brand-b/manual/notes.txt', Buffer.from('not events'));
    const source = await createSource(store, s3Config(name));
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 1, events: 3 });
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 0 });
  });
});
