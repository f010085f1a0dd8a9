import { describe, expect, it } from 'vitest';
import { detailOf, type Bucket, type BucketObject } from '../../../src/ingest/buckets/bucket.js';
import { dateOf, discover, hourText, readable } from '../../../src/ingest/buckets/layout.js';

/** Braze's layout as the pollers read it: date= hours, and the folders found without listing their history. */

const object = (key: string): BucketObject => ({ key, size: 1, etag: 'e', modifiedAt: 0 });

/** A bucket in memory that lists as S3 does (key order, after a key, pages) and counts what it returned. */
function memoryBucket(keys: string[]): Bucket & { returned: number } {
  const sorted = [...keys].sort();
  const bucket = {
    where: 'mem://bucket',
    returned: 0,
    async *list(prefix: string, after: string | null, pageSize: number) {
      const matching = sorted.filter((k) => k.startsWith(prefix) && (after === null || k > after));
      for (let i = 0; i < matching.length; i += pageSize) {
        const page = matching.slice(i, i + pageSize).map(object);
        bucket.returned += page.length;
        yield page;
      }
    },
    read: () => Promise.reject(new Error('not here')),
    close: () => undefined,
  };
  return bucket;
}

describe("Braze's storage layout", () => {
  it('reads the date= hour of a key, in UTC, and refuses what is not one', () => {
    expect(dateOf('p/x/event_type=t/date=2026-11-29-07/321/z/a+0+1.avro')).toEqual({
      hour: Date.UTC(2026, 10, 29, 7),
      at: 'p/x/event_type=t/'.length,
    });
    expect(dateOf('date=2026-01-01-00/a.avro')).toEqual({ hour: Date.UTC(2026, 0, 1, 0), at: 0 });
    expect(dateOf('p/date=2026-13-01-00/a.avro')).toBeNull();
    expect(dateOf('p/date=2026-02-30-00/a.avro')).toBeNull();
    expect(dateOf('p/date=2026-01-01-24/a.avro')).toBeNull();
    expect(dateOf('p/xdate=2026-01-01-01/a.avro')).toBeNull();
    expect(dateOf('p/date=2026-01-01-01.avro')).toBeNull();
    expect(hourText(Date.UTC(2026, 0, 2, 3))).toBe('2026-01-02-03');
  });

  it('reads Avro and NDJSON objects, and leaves other objects alone', () => {
    expect(['a.avro', 'a.AVRO', 'a.ndjson', 'a.jsonl'].every(readable)).toBe(true);
    expect(['a.json', '_SUCCESS', 'a.txt', 'a.avro.tmp'].some(readable)).toBe(false);
  });

  it('finds every folder of date= partitions with one key of each, whatever the history, and objects outside', async () => {
    const keys: string[] = [];
    for (const type of ['a.Send', 'b.Open', 'c.Click']) {
      for (let h = 0; h < 500; h++) {
        keys.push(`p/dataexport.x/event_type=${type}/date=${hourText(Date.UTC(2026, 0, 1) + h * 3_600_000)}/f.avro`);
      }
    }
    keys.push('p/dataexport.x/notes.txt', 'p/manual/1.avro', 'p/manual/2.ndjson', 'q/outside.avro');
    const bucket = memoryBucket(keys);
    const layout = await discover(bucket, 'p/');
    expect(layout.folders).toEqual([
      'p/dataexport.x/event_type=a.Send/',
      'p/dataexport.x/event_type=b.Open/',
      'p/dataexport.x/event_type=c.Click/',
    ]);
    expect(layout.undated.map((o) => o.key)).toEqual(['p/manual/1.avro', 'p/manual/2.ndjson']);
    // One key per folder, plus the objects outside the layout, not 1,500 keys of history.
    expect(bucket.returned).toBeLessThan(10);
  });
});

describe('bucket errors', () => {
  it('never carry a secret an SDK message echoes', () => {
    const e = new Error(
      'GET https://acct.blob.core.windows.net/c?sv=2024&sig=SECRETSIG%2F&se=1 failed; AccountKey=SECRETKEY==; ' +
        'X-Amz-Signature=SECRETAMZ',
    );
    const shown = detailOf(e);
    expect(shown).not.toMatch(/SECRET/);
    expect(shown).toContain('sig=(hidden)');
  });
});
