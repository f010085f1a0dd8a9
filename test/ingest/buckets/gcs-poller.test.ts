import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openGcs } from '../../../src/ingest/buckets/gcs.js';
import type { StorageConfig } from '../../../src/ingest/buckets/open.js';
import type { Store } from '../../../src/store/port.js';
import { avroFile, brazeKey, HOUR, idsOf, records } from '../../helpers/braze-files.js';
import { startGcsStandIn, type GcsStandIn } from '../../helpers/gcs-standin.js';
import { createSource, logged, poll, pollerOf, tempStore } from './helpers.js';

/**
 * The poller of a GCS source, through @google-cloud/storage, against a stand-in of the two JSON API calls the library
 * makes (object list, media download), written in test/helpers/gcs-standin.ts: no GCS server exists in the package
 * registries. What is checked is what goes through the library: listing from a start offset, pages, generations, and
 * the errors it turns Google's answers into.
 */

const SEND = 'users.messages.email.Send';
const OPEN = 'users.messages.pushnotification.Open';

let gcs: GcsStandIn;
beforeAll(async () => {
  gcs = await startGcsStandIn();
});
afterAll(async () => {
  await gcs?.stop();
});

let store: Store;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
  expect(gcs.unexpected).toEqual([]);
});

let n = 0;
const bucketName = () => `currents-gcs-${++n}`;
const gcsConfig = (bucket: string, over: Partial<StorageConfig> = {}): StorageConfig =>
  ({
    kind: 'gcs',
    bucket,
    credentialsJsonEnc: null,
    apiEndpoint: gcs.endpoint,
    prefix: 'brand-d/',
    pollIntervalSeconds: 60,
    from: null,
    ...over,
  }) as StorageConfig;

const current = () => Math.floor(Date.now() / HOUR) * HOUR;
const clock = (hour: number) => () => hour + 30 * 60_000;

describe('polling a GCS bucket', () => {
  it('reads each new object once, in time order; a replaced object again; nothing again after a restart', async () => {
    const bucket = bucketName();
    gcs.createBucket(bucket);
    const now = current();
    const put = async (type: string, hour: number, file: string, count: number) => {
      const recs = records(type, count);
      gcs.put(bucket, brazeKey('brand-d/', type, hour, file), await avroFile(type, recs));
      return idsOf(recs);
    };
    await put(SEND, now - 4 * HOUR, 'old', 2);
    const earlier = [...(await put(SEND, now - HOUR, 'a1', 3)), ...(await put(OPEN, now - HOUR, 'b1', 2))];
    const later = await put(OPEN, now, 'b2', 4);
    const source = await createSource(store, gcsConfig(bucket));

    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 3, events: 9 });
    const rows = await logged(store);
    expect(rows.map((r) => r.eventId).sort()).toEqual([...earlier, ...later].sort());
    const lastEarlier = Math.max(...rows.filter((r) => earlier.includes(r.eventId)).map((r) => r.seq));
    expect(lastEarlier).toBeLessThan(Math.min(...rows.filter((r) => later.includes(r.eventId)).map((r) => r.seq)));
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 0 });

    // The same name written again is a new generation: read again (its events are new ones here).
    const rewritten = await put(OPEN, now, 'b2', 3);
    expect(await poll(pollerOf(store, source, { now: clock(now) }))).toMatchObject({ objects: 1, events: 3 });
    expect(
      (await logged(store))
        .slice(-3)
        .map((r) => r.eventId)
        .sort(),
    ).toEqual(rewritten.sort());
    expect(gcs.requests.some((r) => r.includes('/o/'))).toBe(true);
  });

  it('says what to do when access is refused or the bucket does not exist', async () => {
    const forbidden = bucketName();
    gcs.createBucket(forbidden);
    gcs.forbidden.add(forbidden);
    const refused = await first(openGcs({ bucket: forbidden, credentialsJson: null, apiEndpoint: gcs.endpoint }));
    expect(refused).toMatchObject({ problem: 'access_denied' });
    expect((refused as Error).message).toBe(
      `access to gs://${forbidden} was denied (403): check the source's service account key (credentials_json) and ` +
        'that it may list and read objects (roles/storage.objectViewer on the bucket)',
    );
    const missing = await first(
      openGcs({ bucket: 'no-such-bucket', credentialsJson: null, apiEndpoint: gcs.endpoint }),
    );
    expect(missing).toMatchObject({ problem: 'no_bucket' });
    expect((missing as Error).message).toBe("the bucket no-such-bucket does not exist: check the source's bucket name");
  });
});

async function first(bucket: ReturnType<typeof openGcs>): Promise<unknown> {
  try {
    for await (const page of bucket.list('', null, 10)) return page;
    return null;
  } catch (e) {
    return e;
  }
}
