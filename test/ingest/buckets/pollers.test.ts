import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StorageConfig } from '../../../src/ingest/buckets/open.js';
import { BucketPollers } from '../../../src/ingest/buckets/pollers.js';
import type { Store } from '../../../src/store/port.js';
import type { SourceStatus } from '../../../src/types.js';
import { avroFile, brazeKey, HOUR, idsOf, records } from '../../helpers/braze-files.js';
import { S3_KEY, startS3, type LocalS3 } from '../../helpers/s3-server.js';
import { createSource, logged, observer, secrets, storeSink, tempStore } from './helpers.js';

/**
 * Every storage source polled in its own loop: a source that fails (refused keys, a missing bucket, an endpoint that
 * does not answer) says so in its status with what to do, is retried, and never holds up the others; a paused source
 * is not polled until it is resumed.
 */

const SEND = 'users.messages.email.Send';
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.stop();
});

let store: Store;
let cleanup: () => Promise<void>;
let pollers: BucketPollers | null = null;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => {
  await pollers?.stop();
  pollers = null;
  await cleanup();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const config = (bucket: string, over: Partial<StorageConfig> = {}): StorageConfig =>
  ({
    kind: 's3',
    bucket,
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: S3_KEY,
    secretAccessKeyEnc: secrets.encrypt(S3_KEY),
    prefix: '',
    pollIntervalSeconds: 60,
    from: null,
    ...over,
  }) as StorageConfig;

async function until<T>(what: string, check: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + 15_000;
  for (;;) {
    const v = await check();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statusOf = (id: string) => store.getSourceStatus(id);
const failing = (id: string) => until(`${id} to fail`, async () => (await statusOf(id))?.lastError ?? null);

describe('the pollers of every storage source', () => {
  it('says what to do when a source fails, retries it, and keeps polling the others', async () => {
    const bucket = `pollers-${Date.now().toString(36)}`;
    await s3.createBucket(bucket);
    const now = Math.floor(Date.now() / HOUR) * HOUR;
    const first = records(SEND, 5);
    await s3.put(bucket, brazeKey('', SEND, now, 'first'), await avroFile(SEND, first));

    const good = await createSource(store, config(bucket));
    const wrongKey = await createSource(
      store,
      config(bucket, {
        accessKeyId: 'AKIAWRONG',
        secretAccessKeyEnc: secrets.encrypt('wrong'),
      } as Partial<StorageConfig>),
    );
    const noBucket = await createSource(store, config('no-such-bucket'));
    const down = await createSource(
      store,
      config(bucket, { endpoint: `http://127.0.0.1:${await closedPort()}` } as Partial<StorageConfig>),
    );
    const paused = await createSource(store, config(bucket), { state: 'paused' });

    const seen = observer();
    pollers = new BucketPollers({
      store,
      sinkFor: () => storeSink(store),
      decrypt: (enc) => secrets.decrypt(enc),
      partitions: 4,
      observer: seen,
      logger: { info: () => undefined, warn: () => undefined },
      refreshMs: 100,
      intervalMs: 100,
      backoffMs: () => 100,
    });
    await pollers.start();
    expect(pollers.running()).toEqual([good.id, wrongKey.id, noBucket.id, down.id].sort());

    expect(await failing(wrongKey.id)).toMatch(
      new RegExp(
        `^access to s3://${bucket} was denied \\(InvalidAccessKeyId: .*\\): check the source's access key and secret, ` +
          `and that they may list the bucket and read its objects \\(s3:ListBucket on ${bucket}, s3:GetObject on its keys\\)$`,
      ),
    );
    expect(await failing(noBucket.id)).toBe(
      `the bucket no-such-bucket does not exist at ${s3.endpoint}: check the source's bucket and region (or endpoint)`,
    );
    expect(await failing(down.id)).toMatch(
      /^cannot reach http:\/\/127\.0\.0\.1:\d+ for s3:\/\/pollers-\w+ \(ECONNREFUSED\): check the endpoint setting and the network .*; retrying with backoff$/,
    );
    const stillFailing = await until('a retry of the refused source', async () => {
      const s = await statusOf(wrongKey.id);
      return s?.message?.startsWith('failed 2 times in a row') ? s : null;
    });
    expect(stillFailing.lastErrorAt).not.toBeNull();

    // The good source read its object, and goes on with new ones while the others keep failing.
    const second = records(SEND, 3);
    await s3.put(bucket, brazeKey('', SEND, now, 'second'), await avroFile(SEND, second));
    const ids = await until('both objects of the good source', async () => {
      const got = (await logged(store)).map((r) => r.eventId);
      return got.length >= 8 ? got : null;
    });
    expect(ids.sort()).toEqual([...idsOf(first), ...idsOf(second)].sort());
    const status = (await statusOf(good.id)) as SourceStatus;
    expect(status).toMatchObject({ lastError: null });
    expect(status.message).toMatch(/^(no new objects|read 1 new object \(3 events stored\)); listing from date=/);
    expect(status.newestObjectAt).toBeGreaterThan(Date.now() - 60_000);
    expect(seen.failures.map((f) => f.problem)).toEqual(
      expect.arrayContaining(['access_denied', 'no_bucket', 'unreachable']),
    );

    // The paused source read nothing; resumed, it starts (from the hour before) and reads the same objects.
    expect(await statusOf(paused.id)).toBeNull();
    await store.updateSource({ ...paused, state: 'active', updatedAt: paused.updatedAt + 1 });
    await until('the resumed source to read', async () => (await statusOf(paused.id))?.lastRunAt ?? null);
    expect(pollers.running()).toContain(paused.id);
    // Dedup is global: the same events from another source are not logged twice.
    expect(await logged(store)).toHaveLength(8);

    // Fixing the refused keys (an update of the source) restarts its loop, which then works.
    await store.updateSource({ ...wrongKey, config: config(bucket), updatedAt: wrongKey.updatedAt + 1 });
    await until('the fixed source to work', async () => {
      const s = await statusOf(wrongKey.id);
      return s?.lastError === null && s.lastRunAt !== null ? s : null;
    });

    // Pausing stops the loop.
    await store.updateSource({ ...good, state: 'paused', updatedAt: good.updatedAt + 1 });
    await until('the paused loop to stop', async () => !pollers!.running().includes(good.id));
  });
});
