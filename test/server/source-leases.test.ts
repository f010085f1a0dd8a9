import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseManager } from '../../src/delivery/leases.js';
import type { StorageConfig } from '../../src/ingest/buckets/open.js';
import { BucketPollers } from '../../src/ingest/buckets/pollers.js';
import type { PollLeases } from '../../src/ingest/buckets/ports.js';
import { pollLeases } from '../../src/server/sources/pollers.js';
import type { Store } from '../../src/store/port.js';
import { avroFile, brazeKey, HOUR, records } from '../helpers/braze-files.js';
import { S3_KEY, startS3, type LocalS3 } from '../helpers/s3-server.js';
import { createSource, logged, observer, secrets, storeSink } from '../ingest/buckets/helpers.js';
import { openTestStore, pgUnavailable, type TestStore } from '../store/postgres-helper.js';

/**
 * Several processes on one PostgreSQL: each storage source is polled by one process at a time (a lease in the
 * delivery lease table, under a reserved name), and when that process dies the other takes the source over after
 * the lease expires, going on from the checkpoints: nothing is read twice, nothing skipped.
 */

const SEND = 'users.messages.email.Send';
const TTL = 1_200;

let s3: LocalS3;
beforeAll(async () => {
  if (pgUnavailable === null) s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

async function until<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | false) {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = await check();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(pgUnavailable !== null)('storage sources shared by several processes (PostgreSQL)', () => {
  it('polls each source in one process at a time; a dead process’s sources are taken over without rereading', async () => {
    const opened: TestStore[] = [await openTestStore()];
    opened.push(await openTestStore({ schema: opened[0]!.schema }));
    const [a, b] = opened.map((o) => o.store) as [Store, Store];
    const bucket = `leases-${Date.now().toString(36)}`;
    await s3.createBucket(bucket);
    const now = Math.floor(Date.now() / HOUR) * HOUR;
    const config = (prefix: string): StorageConfig => ({
      kind: 's3',
      bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: S3_KEY,
      secretAccessKeyEnc: secrets.encrypt(S3_KEY),
      prefix,
      pollIntervalSeconds: 60,
      from: null,
    });
    const put = async (prefix: string, name: string) =>
      s3.put(bucket, brazeKey(prefix, SEND, now, name), await avroFile(SEND, records(SEND, 4)));
    const sources = [await createSource(a, config('one/')), await createSource(a, config('two/'))];
    await put('one/', 'x');
    await put('two/', 'y');

    const seen = { a: observer(), b: observer() };
    const start = async (store: Store, owner: string, obs: ReturnType<typeof observer>, crashes = false) => {
      const manager = new LeaseManager({
        store,
        owner,
        role: 'ingest',
        ttlMs: TTL,
        logger: pino({ level: 'silent' }),
        roles: ['all', 'ingest'],
      });
      const real = pollLeases(manager);
      // A process that crashes never gives its leases back: they run out.
      const leases: PollLeases = crashes ? { ...real, release: async () => {}, releaseAll: async () => {} } : real;
      const pollers = new BucketPollers({
        store,
        sinkFor: () => storeSink(store),
        decrypt: (enc) => secrets.decrypt(enc),
        partitions: 4,
        observer: obs,
        logger: { info: () => undefined, warn: () => undefined },
        leases,
        refreshMs: TTL / 4,
        intervalMs: 100,
      });
      await pollers.start();
      return pollers;
    };
    const pa = await start(a, 'proc-a', seen.a, true);
    const pb = await start(b, 'proc-b', seen.b);
    try {
      // Once both are alive, the two sources are spread over them: one each.
      const split = await until('the sources to be spread', () => {
        const [ra, rb] = [pa.running(), pb.running()];
        return ra.length === 1 && rb.length === 1 && ra[0] !== rb[0] ? { a: ra[0]!, b: rb[0]! } : null;
      });
      expect([split.a, split.b].sort()).toEqual(sources.map((s) => s.id).sort());
      await until('both objects read', async () => (await logged(a)).length === 8);
      const leases = await a.listLeases();
      expect(leases.map((l) => [l.feed, l.owner]).sort()).toEqual(
        [
          [split.a, 'proc-a'],
          [split.b, 'proc-b'],
        ].sort(),
      );

      // Process a dies: b takes its source over after the lease expires and reads only what is new.
      await pa.stop();
      const before = seen.b.reads.length;
      await put(split.a === sources[0]!.id ? 'one/' : 'two/', 'after-crash');
      await until('b to take the source over', () => pb.running().length === 2);
      await until('the new object read by b', async () => (await logged(b)).length === 12);
      const readByB = seen.b.reads.slice(before).filter((r) => r.source === split.a);
      expect(readByB).toHaveLength(1);
      expect(seen.a.reads.length + seen.b.reads.length).toBe(3);
    } finally {
      await pb.stop();
      await pa.stop();
      for (const o of opened.reverse()) await o.cleanup().catch(() => undefined);
    }
  });
});
