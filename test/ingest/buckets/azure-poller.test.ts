import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openAzure } from '../../../src/ingest/buckets/azure.js';
import { BucketError } from '../../../src/ingest/buckets/bucket.js';
import type { StorageConfig } from '../../../src/ingest/buckets/open.js';
import type { Store } from '../../../src/store/port.js';
import { avroFile, brazeKey, HOUR, idsOf, records } from '../../helpers/braze-files.js';
import { startAzurite, type LocalAzure } from '../../helpers/azurite.js';
import { createSource, logged, poll, pollerOf, secrets, tempStore } from './helpers.js';

/**
 * The poller of an Azure Blob source against Azurite (started here): Azure lists no "after a key", so the adapter
 * walks down the folders to where a poll starts; these tests hold it to the same listing as S3's and GCS's.
 */

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.pushnotification.Open';

let azure: LocalAzure;
beforeAll(async () => {
  azure = await startAzurite();
});
afterAll(async () => {
  await azure?.stop();
});

let store: Store;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
});

let containers = 0;
async function container(): Promise<string> {
  const name = `currents-${++containers}-${Date.now().toString(36)}`;
  await azure.createContainer(name);
  return name;
}

const azureConfig = (name: string, over: Partial<StorageConfig> = {}): StorageConfig =>
  ({
    kind: 'azure_blob',
    container: name,
    connectionStringEnc: secrets.encrypt(azure.connectionString()),
    prefix: 'brand-c/',
    pollIntervalSeconds: 60,
    from: null,
    ...over,
  }) as StorageConfig;

const current = () => Math.floor(Date.now() / HOUR) * HOUR;
const clock = (hour: number) => () => hour + 30 * 60_000;

async function keysOf(it: AsyncIterable<{ key: string }[]>): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of it) keys.push(...page.map((o) => o.key));
  return keys;
}

describe('polling an Azure Blob container', () => {
  it('lists the blobs after any key as a flat listing would, in key order and in pages', async () => {
    const name = await container();
    const keys = [
      'p/a/date=2026-01-01-01/x/1.avro',
      'p/a/date=2026-01-01-02/x/2.avro',
      'p/a/date=2026-01-02-00/3.avro',
      'p/a/top.avro',
      'p/b/date=2026-01-01-01/4.avro',
      'p/c.avro',
      'q/5.avro',
    ];
    for (const k of keys) await azure.put(name, k, Buffer.from(k));
    const bucket = openAzure({ container: name, connectionString: azure.connectionString() });
    const under = (prefix: string, after: string | null) =>
      keys.filter((k) => k.startsWith(prefix) && (after === null || k > after));
    for (const [prefix, after] of [
      ['p/', null],
      ['p/', 'p/a/date=2026-01-01-02'],
      ['p/a/', 'p/a/date=2026-01-01-01/x/1.avro'],
      ['p/', 'p/a/\u{10FFFF}'],
      ['p/a/', 'p/'],
      ['p/b/', 'p/c'],
      ['', 'p/b/date=2026-01-01-01/4.avro'],
    ] as const) {
      expect(await keysOf(bucket.list(prefix, after, 2)), `${prefix} after ${after}`).toEqual(under(prefix, after));
    }
  });

  it('reads each new object once, in time order; then only new ones; and nothing again after a restart', async () => {
    const name = await container();
    const now = current();
    const put = async (type: string, hour: number, file: string, n: number) => {
      const recs = records(type, n);
      await azure.put(name, brazeKey('brand-c/', type, hour, file), await avroFile(type, recs));
      return idsOf(recs);
    };
    await put(SEND, now - 5 * HOUR, 'old', 2);
    const earlier = [...(await put(OPEN, now - HOUR, 'b1', 3)), ...(await put(SEND, now - HOUR, 'a1', 4))];
    const later = [...(await put(SEND, now, 'a2', 5))];
    const source = await createSource(store, azureConfig(name));

    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 3, events: 12 });
    const rows = await logged(store);
    expect(rows.map((r) => r.eventId).sort()).toEqual([...earlier, ...later].sort());
    const lastEarlier = Math.max(...rows.filter((r) => earlier.includes(r.eventId)).map((r) => r.seq));
    expect(lastEarlier).toBeLessThan(Math.min(...rows.filter((r) => later.includes(r.eventId)).map((r) => r.seq)));

    const newer = await put(OPEN, now, 'b2', 2);
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 1, events: 2 });
    expect(
      (await logged(store))
        .slice(-2)
        .map((r) => r.eventId)
        .sort(),
    ).toEqual(newer.sort());
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 0 });
  });

  it('says what to do when the key is refused or the container does not exist', async () => {
    const name = await container();
    const wrong = openAzure({
      container: name,
      connectionString: azure.connectionString(Buffer.from('x'.repeat(64)).toString('base64')),
    });
    const refused = await keysOf(wrong.list('', null, 10)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BucketError);
    expect(refused).toMatchObject({ problem: 'access_denied' });
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^access to azure://devstoreaccount1/${name} was denied \\(.+\\): check the source's connection string`,
      ),
    );
    const missing = openAzure({ container: 'no-such-container', connectionString: azure.connectionString() });
    const gone = await keysOf(missing.list('', null, 10)).catch((e: unknown) => e);
    expect(gone).toMatchObject({ problem: 'no_bucket' });
    expect((gone as Error).message).toBe(
      "the container of azure://devstoreaccount1/no-such-container does not exist: check the source's container name and connection string (account)",
    );
  });
});
