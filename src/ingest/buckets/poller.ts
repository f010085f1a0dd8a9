import type { SourceCursor, SourceRecord } from '../../types.js';
import { readAvroBytes } from '../avro.js';
import { Bytes, chunksOf, streamSource } from '../bytes.js';
import { Importer, type ImportSink } from '../importer.js';
import { readNdjsonChunks } from '../ndjson.js';
import { InputUnavailableError } from '../source.js';
import { formatOf, typeFromPath } from '../walk.js';
import { BucketError, type Bucket, type BucketObject } from './bucket.js';
import { dateOf, discover, floorHour, HOUR, hourText, readable, type Layout } from './layout.js';
import type { PollerStore, PollObserver } from './ports.js';

/**
 * One storage source's polls: list what is new under its prefix, read each new object once, in time order, through
 * the importer (streaming), and record it. What it keeps in the store:
 *
 * - the cursor: the first hour imported (`from`, else the hour before the first poll) and the hour polls list from.
 *   Hours are listed again until SETTLE after they end (Braze may still be writing them), then the cursor passes
 *   them, and they are never listed again: a poll lists each folder once, from the cursor's hour on (start-after
 *   markers), never the bucket's history;
 * - a checkpoint per object read (key, size, etag), written after its events were committed: a restart, or another
 *   process taking the source over, neither reads an object twice nor skips one.
 *
 * The folders holding `date=` partitions are found by `discover` (a skip scan) at the first poll and every
 * DISCOVER_EVERY after, so a new event type's folder is found within that time (and read from the cursor's hour).
 */

/** A backfill is listed a day at a time, so the objects of one window are all that is held in memory. */
const WINDOW = 24 * HOUR;
/** How long after its end an hour is listed again for objects written late. */
export const SETTLE = 3 * HOUR;
/** Checkpoints this far before the cursor's hour are kept (a `from` moved back a little still finds them). */
const KEEP = 24 * HOUR;
const DISCOVER_EVERY = 10 * 60_000;
const LIST_PAGE = 1000;
/** Objects that cannot be downloaded in one poll before it gives up until the next (after backoff). */
const MAX_UNAVAILABLE = 3;

export interface PollerDeps {
  source: SourceRecord & { config: { prefix: string; from: number | null } };
  bucket: Bucket;
  store: PollerStore;
  sink: ImportSink;
  partitions: number;
  observer: PollObserver;
  now: () => number;
  /** Checked before each object: false once another process took the source over. */
  holds: () => boolean;
  /** What it is doing, for the source's status. */
  progress?: (message: string) => void;
}

export interface PollReport {
  /** Objects read (whole, or as far as they could be). */
  objects: number;
  /** Events stored from them (duplicates not counted). */
  events: number;
  bytes: number;
  /** Objects that could not be read whole, each with its byte offset: they are recorded and not read again. */
  corrupt: string[];
  /** Objects that could not be downloaded now (read again at the next poll) and the last such problem. */
  unavailable: number;
  unavailableError: string | null;
  /** The time of the newest object read (its modification time, else its hour), ms. */
  newestObjectAt: number | null;
  /** The hour the next poll lists from. */
  cursorHour: number;
  /** False when the poll stopped early (stop asked, or the source taken over): nothing was lost, it goes on later. */
  finished: boolean;
}

type Listed = BucketObject & { hour: number | null };

export class BucketPoller {
  #layout: Layout | null = null;
  #discoveredAt = 0;
  #undatedDue = false;

  constructor(private readonly deps: PollerDeps) {}

  get #id(): string {
    return this.deps.source.id;
  }

  async poll(stop: AbortSignal): Promise<PollReport> {
    const { deps } = this;
    const now = deps.now();
    const cursor = await this.#cursor(now);
    const report: PollReport = {
      objects: 0,
      events: 0,
      bytes: 0,
      corrupt: [],
      unavailable: 0,
      unavailableError: null,
      newestObjectAt: null,
      cursorHour: cursor.hour,
      finished: false,
    };
    if (this.#layout === null || now - this.#discoveredAt >= DISCOVER_EVERY) {
      deps.progress?.('looking for the folders of date= partitions');
      this.#layout = await discover(deps.bucket, deps.source.config.prefix, stop);
      this.#discoveredAt = now;
      this.#undatedDue = true;
    }
    const current = floorHour(now);
    for (let from = cursor.hour; from <= current;) {
      const end = Math.min(from + WINDOW, current + HOUR);
      deps.progress?.(`listing ${this.#layout.folders.length} folders from date=${hourText(from)}`);
      const listed = await this.#list(this.#layout.folders, from, end, stop);
      if (end > current && this.#undatedDue) {
        listed.push(...this.#layout.undated.map((o) => ({ ...o, hour: null })));
        this.#undatedDue = false;
      }
      const todo = (await this.#unread(listed, cursor.start)).sort(inTimeOrder);
      let blockedAt = Infinity;
      for (const [i, object] of todo.entries()) {
        if (stop.aborted || !deps.holds()) return report;
        deps.progress?.(`reading ${object.key} (${i + 1} of ${todo.length} new objects)`);
        if ((await this.#read(object, report, stop)) === 'unavailable') {
          blockedAt = Math.min(blockedAt, object.hour ?? blockedAt);
          if (report.unavailable >= MAX_UNAVAILABLE) break;
        }
      }
      if (stop.aborted) return report;
      // Hours past the cursor are never listed again: only those that have settled, and nothing left to retry.
      const reach = Math.min(end, floorHour(now - SETTLE), blockedAt);
      if (reach > cursor.hour) {
        cursor.hour = floorHour(reach);
        await deps.store.putSourceCursor(this.#id, cursor);
        await deps.store.pruneObjectCheckpoints(this.#id, cursor.hour - KEEP);
        report.cursorHour = cursor.hour;
      }
      if (report.unavailable > 0) return { ...report, finished: true };
      from = end;
    }
    return { ...report, finished: true };
  }

  /** The stored cursor; a new one when the source is new or its `from` changed. */
  async #cursor(now: number): Promise<SourceCursor> {
    const from = this.deps.source.config.from;
    const stored = await this.deps.store.getSourceCursor(this.#id);
    if (stored !== null && stored.from === from) return stored;
    // Without `from`: the hour before the current one too, whose last files Braze may still be writing.
    const start = from !== null ? floorHour(from) : floorHour(now) - HOUR;
    const cursor = { from, start, hour: start };
    await this.deps.store.putSourceCursor(this.#id, cursor);
    return cursor;
  }

  /** The readable objects of each folder's hours in [from, end), listed from the `date=` of `from` on. */
  async #list(folders: readonly string[], from: number, end: number, stop: AbortSignal): Promise<Listed[]> {
    const found: Listed[] = [];
    for (const folder of folders) {
      if (stop.aborted) break;
      pages: for await (const page of this.deps.bucket.list(folder, `${folder}date=${hourText(from)}`, LIST_PAGE)) {
        for (const object of page) {
          const date = dateOf(object.key);
          // Something else under the folder (not a date= partition of it) is left to discovery.
          if (date === null || date.at !== folder.length || date.hour < from) continue;
          if (date.hour >= end) break pages;
          if (readable(object.key)) found.push({ ...object, hour: date.hour });
        }
      }
    }
    return found;
  }

  /** Objects never read, or changed since (replaced in the bucket); undated ones only from the source's start. */
  async #unread(listed: Listed[], start: number): Promise<Listed[]> {
    const wanted = listed.filter((o) => o.hour !== null || (o.modifiedAt ?? start) >= start);
    const seen = new Map(
      (
        await this.deps.store.getObjectCheckpoints(
          this.#id,
          wanted.map((o) => o.key),
        )
      ).map((c) => [c.object, c]),
    );
    return wanted.filter((o) => {
      const c = seen.get(o.key);
      return c === undefined || c.size !== o.size || c.etag !== o.etag;
    });
  }

  /** Read one object to its end, commit its events, record it. */
  async #read(object: Listed, report: PollReport, stop: AbortSignal): Promise<'read' | 'gone' | 'unavailable'> {
    const { deps } = this;
    const name = `${deps.bucket.where}/${object.key}`;
    const unavailable = (message: string, problem: 'unreachable' | BucketError['problem']) => {
      report.unavailable += 1;
      report.unavailableError = message;
      deps.observer.failed(this.#id, problem);
      return 'unavailable' as const;
    };
    let stream: AsyncIterable<Uint8Array>;
    try {
      stream = await deps.bucket.read(object);
    } catch (e) {
      if (!(e instanceof BucketError)) throw e;
      if (e.problem === 'gone') return 'gone';
      return unavailable(`${name} cannot be downloaded now: ${e.message}`, e.problem);
    }
    const type = typeFromPath(object.key);
    const source = streamSource(stream, object.size, name, stop);
    const batches =
      formatOf(object.key) === 'avro' ? readAvroBytes(new Bytes(source), type) : readNdjsonChunks(chunksOf(source));
    const importer = new Importer({ sink: deps.sink, partitions: deps.partitions, source: this.#id, now: deps.now });
    let result;
    try {
      result = await importer.readInput(name, batches, { commit: true, quarantineFailure: true, eventType: type });
    } catch (e) {
      if (!(e instanceof InputUnavailableError)) throw e;
      // Stopped (the service shuts down, the source changed): read again from the start next time, not a failure.
      if (stop.aborted) return 'gone';
      return unavailable(`${e.message}; it is read again at the next poll`, 'unreachable');
    }
    const failure = result.failure;
    await deps.store.putObjectCheckpoints(this.#id, [
      {
        object: object.key,
        size: object.size,
        etag: object.etag,
        hour: object.hour,
        importedAt: deps.now(),
        events: result.events,
        error: failure === null ? null : `at byte ${failure.offset}: ${failure.error}`,
      },
    ]);
    deps.observer.objectRead(this.#id, {
      bytes: failure === null ? object.size : failure.offset,
      stored: result.stored,
      duplicates: result.duplicates,
      quarantined: result.quarantined,
      failed: failure !== null,
    });
    report.objects += 1;
    report.events += result.stored;
    report.bytes += failure === null ? object.size : failure.offset;
    const at = object.modifiedAt ?? object.hour;
    if (at !== null) report.newestObjectAt = Math.max(report.newestObjectAt ?? at, at);
    if (failure !== null) {
      deps.observer.failed(this.#id, 'corrupt');
      report.corrupt.push(
        `${name} cannot be read past byte ${failure.offset}: ${failure.error}; the ${result.events} events before ` +
          'it were kept and the other objects go on (it is in the quarantine). Replace the object to have it read again',
      );
    }
    return 'read';
  }
}

/** Hour first (undated objects by their modification time), then when each was written, then key. */
function inTimeOrder(a: Listed, b: Listed): number {
  const ha = a.hour ?? floorHour(a.modifiedAt ?? 0);
  const hb = b.hour ?? floorHour(b.modifiedAt ?? 0);
  if (ha !== hb) return ha - hb;
  const ma = a.modifiedAt ?? 0;
  const mb = b.modifiedAt ?? 0;
  if (ma !== mb) return ma - mb;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
