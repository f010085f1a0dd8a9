import {
  FUTURE_DATED_SECONDS,
  type FutureDated,
  type NewSource,
  type SourceRecord,
  type SourceStatus,
  type SourceTotals,
} from '../types.js';

/**
 * What both adapters do the same way for sources: the rows of the `sources` table, and the map between a source's
 * id and the small key every log row carries.
 *
 * Keys are written in the log instead of ids: an integer column costs less on the append path (the hottest one) and
 * in the log than a text column repeated on every row. The map only grows: a key is never reused and a deleted source
 * keeps its id (ids stay reserved), so an entry never goes stale. A key or id this process has not seen (a source
 * created by another process: `currents sources create` beside the service, another service on PostgreSQL) makes the
 * adapter load the table again.
 */
export class SourceKeys {
  readonly #byId = new Map<string, number>();
  readonly #byKey = new Map<number, string>();

  fill(rows: readonly { key: number | string; id: string }[]): void {
    for (const r of rows) {
      this.#byId.set(r.id, Number(r.key));
      this.#byKey.set(Number(r.key), r.id);
    }
  }

  keyOf(id: string): number | undefined {
    return this.#byId.get(id);
  }

  idOf(key: number): string | undefined {
    return this.#byKey.get(key);
  }

  /** Ids among these that this map does not know. */
  unknownIds(ids: Iterable<string>): string[] {
    const unknown: string[] = [];
    for (const id of ids) if (!this.#byId.has(id)) unknown.push(id);
    return unknown;
  }

  /** The keys of these ids; ids never seen match nothing (an export naming a source that never existed). */
  keysOf(ids: readonly string[]): number[] {
    const keys: number[] = [];
    for (const id of ids) {
      const key = this.#byId.get(id);
      if (key !== undefined) keys.push(key);
    }
    return keys;
  }
}

/** A key the table does not hold even after loading it again: a row written by a newer version, or a damaged store. */
export const unknownKey = (key: number): string => `#${key}`;

export function unknownSourceError(id: string): Error {
  return new Error(
    `there is no source with id ${id}: create it (POST /v1/sources or "currents sources create") before filing events under it`,
  );
}

export interface SourceRow {
  key: number;
  record: string;
}

export const toSourceRecord = (r: SourceRow): SourceRecord => ({
  ...(JSON.parse(r.record) as NewSource),
  key: Number(r.key),
});

/** The JSON kept in the `record` column: everything but the key, which is the row's own column. */
export function sourceRecordText(s: NewSource | SourceRecord): string {
  const { key: _key, ...rest } = s as SourceRecord;
  return JSON.stringify(rest);
}

export const takenMessage = (id: string, deleted: boolean): string =>
  deleted
    ? `a source with id ${id} existed and was deleted; its id stays reserved because the log may still hold its events: choose another id`
    : `a source with id ${id} already exists: choose another id, or update that source`;

export const goneMessage = (id: string): string =>
  `there is no source with id ${id} (was it deleted?): reload the list of sources`;

export interface SourceTotalsRow {
  key: number;
  events: number;
  last_received_at: number | null;
  newest_event_time: number | null;
}

export function toSourceTotals(r: SourceTotalsRow, sourceOf: (key: number) => string): SourceTotals {
  return {
    source: sourceOf(Number(r.key)),
    events: Number(r.events),
    lastReceivedAt: r.last_received_at === null ? null : Number(r.last_received_at),
    newestEventTime: r.newest_event_time === null ? null : Number(r.newest_event_time),
  };
}

export interface FutureDatedRow {
  key: number | string;
  type: string;
  events: number | string;
  newest_event_time: number | string;
  last_received_at: number | string;
}

export function toFutureDated(r: FutureDatedRow, sourceOf: (key: number) => string): FutureDated {
  return {
    source: sourceOf(Number(r.key)),
    type: r.type,
    events: Number(r.events),
    newestEventTime: Number(r.newest_event_time),
    lastReceivedAt: Number(r.last_received_at),
  };
}

/** Per-source sums of one append, for the source_totals upsert; and its future-dated events by source and type. */
export class SourceTally {
  readonly bySource = new Map<number, { events: number; lastReceivedAt: number; newestEventTime: number }>();
  readonly future = new Map<string, { key: number; type: string; events: number; newest: number; last: number }>();

  addFuture(sourceKey: number, type: string, receivedAt: number, time: number): void {
    if (time <= Math.floor(receivedAt / 1000) + FUTURE_DATED_SECONDS) return;
    const id = `${sourceKey}\u0000${type}`;
    const f = this.future.get(id);
    if (f === undefined) this.future.set(id, { key: sourceKey, type, events: 1, newest: time, last: receivedAt });
    else {
      f.events += 1;
      f.newest = Math.max(f.newest, time);
      f.last = Math.max(f.last, receivedAt);
    }
  }

  add(sourceKey: number, receivedAt: number, time: number): void {
    const t = this.bySource.get(sourceKey);
    if (t === undefined) {
      this.bySource.set(sourceKey, { events: 1, lastReceivedAt: receivedAt, newestEventTime: time });
    } else {
      t.events += 1;
      if (receivedAt > t.lastReceivedAt) t.lastReceivedAt = receivedAt;
      if (time > t.newestEventTime) t.newestEventTime = time;
    }
  }
}

export const parseSourceStatus = (text: string): SourceStatus => JSON.parse(text) as SourceStatus;
