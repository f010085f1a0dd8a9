import { formatOf } from '../walk.js';
import type { Bucket, BucketObject } from './bucket.js';

/**
 * Braze's storage layout, as far as polling needs it:
 * `<prefix>/dataexport.<cluster>.<S3|AzureBlob|GCS>.integration.<id>/event_type=<type>/date=<YYYY-MM-DD-HH>/...`.
 * The layout may change, so nothing here depends on the folders above `date=`: a "folder" is whatever path leads to
 * `date=` hour partitions (one per event type today). Hours in UTC, written so that key order is time order.
 */

export const HOUR = 3_600_000;

const DATE = /(?:^|\/)date=(\d{4})-(\d{2})-(\d{2})-(\d{2})\//;

/** The `date=` hour of a key (ms) and where its `date=` segment starts; null outside the layout. */
export function dateOf(key: string): { hour: number; at: number } | null {
  const m = DATE.exec(key);
  if (m === null) return null;
  const hour = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
  // Date.UTC rolls over (month 13, February 30th): such a folder is not an hour.
  if (hourText(hour) !== `${m[1]}-${m[2]}-${m[3]}-${m[4]}`) return null;
  const at = m.index + (m[0].startsWith('/') ? 1 : 0);
  return { hour, at };
}

/** `YYYY-MM-DD-HH` of an hour (ms, UTC). */
export function hourText(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${two(d.getUTCHours())}`;
}

export const floorHour = (ms: number): number => Math.floor(ms / HOUR) * HOUR;

/**
 * Objects the importer reads as they download: Avro (what Braze writes) and NDJSON. A `.json` document must be
 * parsed whole, so it is left alone here (download it and `currents import` it).
 */
export const readable = (key: string): boolean => {
  const format = formatOf(key);
  return format === 'avro' || format === 'ndjson';
};

/** Sorts after every key under a folder (UTF-8 and UTF-16 order agree on it for the ASCII keys Braze writes). */
export const PAST = '\u{10FFFF}';

export interface Layout {
  /** Paths that hold `date=` partitions (each ends with `/`), in key order. */
  folders: string[];
  /** Readable objects outside the layout (no `date=` segment): listed whole at each discovery. */
  undated: BucketObject[];
  /** Listing calls it took. */
  calls: number;
}

/** Keys per page while going through objects outside the layout. */
const DISCOVERY_PAGE = 100;

/**
 * Find the folders holding `date=` partitions under `prefix` without listing their history: list recursively, and
 * as soon as a key shows a folder, go on from past that folder (a skip scan: one listing of one key per folder).
 * Objects outside the layout are listed whole, in pages.
 */
export async function discover(bucket: Bucket, prefix: string, stop?: AbortSignal): Promise<Layout> {
  const layout: Layout = { folders: [], undated: [], calls: 0 };
  let after: string | null = null;
  let pageSize = 1;
  for (;;) {
    let restart = false;
    layout.calls += 1;
    pages: for await (const page of bucket.list(prefix, after, pageSize)) {
      for (const object of page) {
        const date = dateOf(object.key);
        if (date === null) {
          if (readable(object.key)) layout.undated.push(object);
          after = object.key;
          continue;
        }
        const folder = object.key.slice(0, date.at);
        layout.folders.push(folder);
        after = folder + PAST;
        pageSize = 1;
        restart = true;
        break pages;
      }
      if (stop?.aborted) return layout;
      if (pageSize === 1) {
        // Objects outside the layout: go on from the last one in larger pages.
        pageSize = DISCOVERY_PAGE;
        restart = true;
        break;
      }
      layout.calls += 1;
    }
    if (!restart || stop?.aborted) return layout;
  }
}
