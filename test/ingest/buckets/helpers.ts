import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bucket } from '../../../src/ingest/buckets/bucket.js';
import { openBucket, type StorageConfig } from '../../../src/ingest/buckets/open.js';
import { BucketPoller } from '../../../src/ingest/buckets/poller.js';
import type { PollObserver } from '../../../src/ingest/buckets/ports.js';
import type { ImportSink } from '../../../src/ingest/importer.js';
import { SecretBox } from '../../../src/secrets.js';
import type { Store } from '../../../src/store/port.js';
import { openSqliteStore } from '../../../src/store/sqlite/index.js';
import type { LogRow, SourceRecord } from '../../../src/types.js';

/** A real SQLite store, sources in it, and pollers reading real buckets into it. */

export const secrets = new SecretBox('bucket-tests-secret-key-0123456789');

export async function tempStore(): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'currents-buckets-'));
  const store = await openSqliteStore({ path: join(dir, 'currents.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let n = 0;

export async function createSource(
  store: Store,
  config: StorageConfig,
  over: Partial<SourceRecord> = {},
): Promise<SourceRecord & { config: StorageConfig }> {
  n += 1;
  const now = Date.now();
  const created = await store.createSource({
    id: `bucket-${n}`,
    name: `Bucket ${n}`,
    state: 'active',
    tokenHash: null,
    config,
    createdAt: now,
    updatedAt: now,
    ...over,
  });
  return created as SourceRecord & { config: StorageConfig };
}

/** What the service's sink does: events to the log, refused input to quarantine. */
export const storeSink =
  (store: Store): ImportSink =>
  async ({ events, quarantined }) => {
    if (quarantined.length > 0) await store.addQuarantine(quarantined);
    const r = await store.append(events);
    return { stored: r.stored, duplicates: r.duplicateIndexes.length };
  };

export interface Observed extends PollObserver {
  reads: { source: string; bytes: number; stored: number; failed: boolean }[];
  failures: { source: string; problem: string }[];
}

export function observer(): Observed {
  const reads: Observed['reads'] = [];
  const failures: Observed['failures'] = [];
  return {
    reads,
    failures,
    objectRead: (source, o) => void reads.push({ source, bytes: o.bytes, stored: o.stored, failed: o.failed }),
    failed: (source, problem) => void failures.push({ source, problem }),
  };
}

/** A poller of one source, with its own memory (a new one is what a restart gives). */
export async function pollerOf(
  store: Store,
  source: SourceRecord & { config: StorageConfig },
  opts: { bucket?: Bucket; observer?: PollObserver; now?: () => number } = {},
): Promise<BucketPoller> {
  return new BucketPoller({
    source: source as SourceRecord & { config: StorageConfig & { prefix: string; from: number | null } },
    bucket: opts.bucket ?? (await openBucket(source.config, (enc) => secrets.decrypt(enc))),
    store,
    sink: storeSink(store),
    partitions: 4,
    observer: opts.observer ?? observer(),
    now: opts.now ?? Date.now,
    holds: () => true,
  });
}

export const poll = async (poller: BucketPoller | Promise<BucketPoller>) =>
  (await poller).poll(new AbortController().signal);

/** Every logged event, in log order. */
export async function logged(store: Store): Promise<LogRow[]> {
  const rows: LogRow[] = [];
  for (let partition = 0; partition < 4; partition++) {
    let after = 0;
    for (;;) {
      const r = await store.read({ partition, afterSeq: after, limit: 10_000 });
      rows.push(...r.rows);
      if (r.scannedTo <= after) break;
      after = r.scannedTo;
    }
  }
  return rows.sort((a, b) => a.seq - b.seq);
}

/** A bucket that counts what its listings returned, to show what a poll lists. */
export function counting(
  bucket: Bucket,
): Bucket & { listed: string[]; calls: { prefix: string; after: string | null }[] } {
  const listed: string[] = [];
  const calls: { prefix: string; after: string | null }[] = [];
  return {
    where: bucket.where,
    listed,
    calls,
    async *list(prefix, after, pageSize) {
      calls.push({ prefix, after });
      for await (const page of bucket.list(prefix, after, pageSize)) {
        listed.push(...page.map((o) => o.key));
        yield page;
      }
    },
    read: (o) => bucket.read(o),
    close: () => bucket.close(),
  };
}
