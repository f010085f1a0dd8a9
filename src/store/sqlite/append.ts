import type Database from 'better-sqlite3';
import type { LogRow, NewEvent } from '../../types.js';
import type { AppendResult } from '../port.js';
import { LOG_COLUMNS, toLogRow, type LogRowColumns } from '../shared.js';
import { SourceTally } from '../sources.js';
import { FingerprintIndex, fingerprint } from './fingerprints.js';
import type { SqliteSourceKeys } from './sources.js';

/**
 * Rows per INSERT statement. One statement per row costs a VM round trip each; very wide statements cost more to
 * bind than they save. 50 rows x 10 columns = 500 parameters, well under SQLite's 32766. Measured with
 * bench/store-append.ts.
 */
export const ROWS_PER_INSERT = 50;

const tuples = (rows: number, columns: number): string =>
  Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');

const SQL = {
  insert: (rows: number): string =>
    'INSERT INTO event_log (event_id, type, part, external_user_id, platform, app_id, event_time, received_at, payload, ' +
    `source_key) VALUES ${tuples(rows, 10)}`,
  insertFingerprints: (rows: number): string => `INSERT INTO event_fingerprints (seq, fp) VALUES ${tuples(rows, 2)}`,
  fingerprintsAfter: 'SELECT seq, fp FROM event_fingerprints WHERE seq > ? ORDER BY seq',
  eventIdAt: 'SELECT event_id FROM event_log WHERE seq = ?',
  rowAt: `SELECT ${LOG_COLUMNS} FROM event_log WHERE seq = ?`,
  events: 'SELECT events FROM log_totals WHERE id = 1',
  addTotals: 'UPDATE log_totals SET events = events + ?, bytes = bytes + ? WHERE id = 1',
  addSourceTotals:
    'INSERT INTO source_totals (key, events, last_received_at, newest_event_time) VALUES (?, ?, ?, ?) ' +
    'ON CONFLICT (key) DO UPDATE SET events = events + excluded.events, ' +
    'last_received_at = max(coalesce(last_received_at, 0), excluded.last_received_at), ' +
    'newest_event_time = max(coalesce(newest_event_time, 0), excluded.newest_event_time)',
  addFutureDated:
    'INSERT INTO future_dated (key, type, events, newest_event_time, last_received_at) VALUES (?, ?, ?, ?, ?) ' +
    'ON CONFLICT (key, type) DO UPDATE SET events = events + excluded.events, ' +
    'newest_event_time = max(newest_event_time, excluded.newest_event_time), ' +
    'last_received_at = max(last_received_at, excluded.last_received_at)',
} as const;

interface Pending {
  event: NewEvent;
  fp: number;
  call: number;
  index: number;
}

export interface Appender {
  /**
   * Write the events of several `append` calls in ONE transaction and tell each call what became of its events. A
   * duplicate is an event id seen earlier in this transaction (in any call: the first wins) or already in the log;
   * it is reported by its index in its own call.
   */
  append(calls: readonly (readonly NewEvent[])[]): AppendResult[];
  /** The logged event with this id, found through the fingerprints (no index on event ids), or null. */
  find(eventId: string): LogRow | null;
  /** Rows retention removed (committed): forget their fingerprints. */
  forget(removed: readonly { seq: number; fp: number }[]): void;
}

export function makeAppender(db: Database.Database, sources: SqliteSourceKeys): Appender {
  // Prepared once per width; a flush uses the full width for all but its last statement.
  const inserts = new Map<number, { rows: Database.Statement; fingerprints: Database.Statement }>();
  const insertsOf = (width: number): { rows: Database.Statement; fingerprints: Database.Statement } => {
    let s = inserts.get(width);
    if (s === undefined) {
      s = { rows: db.prepare(SQL.insert(width)), fingerprints: db.prepare(SQL.insertFingerprints(width)) };
      inserts.set(width, s);
    }
    return s;
  };
  const fingerprintsAfter = db.prepare(SQL.fingerprintsAfter).raw();
  const eventIdAt = db.prepare(SQL.eventIdAt).pluck();
  const rowAt = db.prepare(SQL.rowAt);
  const events = db.prepare(SQL.events).pluck();
  const addTotals = db.prepare(SQL.addTotals);
  const addSourceTotals = db.prepare(SQL.addSourceTotals);
  const addFutureDated = db.prepare(SQL.addFutureDated);
  const sourceOf = (key: number): string => sources.idOf(key);

  // Built on the first append (a connection that only reads never pays for it); `loadedTo` is the highest seq whose
  // fingerprint it holds. Other connections (a `currents import` beside the server) may append too: every write
  // transaction first loads what they committed since.
  let index: FingerprintIndex | null = null;
  let loadedTo = 0;

  const catchUp = (): FingerprintIndex => {
    const logged = events.get() as number;
    // Retention run by another connection leaves stale entries here; rebuild when they could be half the table.
    if (index === null || index.size > 2 * logged + 65_536) {
      index = new FingerprintIndex(logged);
      loadedTo = 0;
    }
    for (const [seq, fp] of fingerprintsAfter.iterate(loadedTo) as IterableIterator<[number, number]>) {
      index.add(fp, seq);
      loadedTo = seq;
    }
    return index;
  };

  /** The seq of the logged event with this id, or null. */
  const seqOf = (idx: FingerprintIndex, eventId: string, fp: number): number | null => {
    for (const seq of idx.candidates(fp)) {
      const stored = eventIdAt.get(seq) as string | undefined;
      if (stored === eventId) return seq;
      // The row is gone (retention elsewhere): drop the stale entry. A different id is a fingerprint collision.
      if (stored === undefined) idx.remove(fp, seq);
    }
    return null;
  };
  const isLogged = (idx: FingerprintIndex, p: Pending): boolean => seqOf(idx, p.event.eventId, p.fp) !== null;

  const write = db.transaction((pending: readonly Pending[]): { fresh: Pending[]; seqs: number[] } => {
    const idx = catchUp();
    const fresh = pending.filter((p) => !isLogged(idx, p));
    const seqs: number[] = [];
    // Each call brings events of one source (a push, an import chunk): look the key up once per run of the same id.
    const sourceKeys: number[] = [];
    const tally = new SourceTally();
    let lastSource: string | null = null;
    let lastKey = 0;
    for (const { event } of fresh) {
      if (event.source !== lastSource) {
        lastSource = event.source;
        lastKey = sources.keyOf(lastSource);
      }
      sourceKeys.push(lastKey);
      tally.add(lastKey, event.receivedAt, event.time);
      tally.addFuture(lastKey, event.type, event.receivedAt, event.time);
    }
    let bytes = 0;
    for (let start = 0; start < fresh.length; start += ROWS_PER_INSERT) {
      const chunk = fresh.slice(start, start + ROWS_PER_INSERT);
      const params: unknown[] = [];
      for (let i = 0; i < chunk.length; i++) {
        const e = chunk[i]!.event;
        params.push(
          e.eventId,
          e.type,
          e.partition,
          e.externalUserId ?? null,
          e.platform ?? null,
          e.appId ?? null,
          e.time,
          e.receivedAt,
          e.payload,
          sourceKeys[start + i],
        );
        bytes += Buffer.byteLength(e.payload);
      }
      const statements = insertsOf(chunk.length);
      const { changes, lastInsertRowid } = statements.rows.run(params);
      if (changes !== chunk.length)
        throw new Error(`expected ${chunk.length} rows inserted, SQLite reported ${changes}`);
      // One multi-row INSERT under the write lock takes consecutive seqs (AUTOINCREMENT: max + 1, row by row).
      const first = Number(lastInsertRowid) - chunk.length + 1;
      const fps: number[] = [];
      chunk.forEach((p, i) => {
        seqs.push(first + i);
        fps.push(first + i, p.fp);
      });
      statements.fingerprints.run(fps);
    }
    if (fresh.length > 0) {
      addTotals.run(fresh.length, bytes);
      for (const [key, t] of tally.bySource) addSourceTotals.run(key, t.events, t.lastReceivedAt, t.newestEventTime);
      for (const f of tally.future.values()) addFutureDated.run(f.key, f.type, f.events, f.newest, f.last);
    }
    return { fresh, seqs };
  });

  return {
    append(calls) {
      const results: AppendResult[] = calls.map(() => ({ stored: 0, duplicateIndexes: [], lastSeq: null }));
      const seen = new Set<string>();
      const pending: Pending[] = [];
      calls.forEach((evs, call) => {
        evs.forEach((event, i) => {
          if (seen.has(event.eventId)) {
            results[call]!.duplicateIndexes.push(i);
          } else {
            seen.add(event.eventId);
            pending.push({ event, fp: fingerprint(event.eventId), call, index: i });
          }
        });
      });
      const { fresh, seqs } = write.immediate(pending);
      // Committed: only now may the index vouch for these rows.
      const stored = new Set<Pending>();
      fresh.forEach((p, i) => {
        const seq = seqs[i]!;
        index?.add(p.fp, seq);
        loadedTo = Math.max(loadedTo, seq);
        stored.add(p);
        const result = results[p.call]!;
        result.stored += 1;
        result.lastSeq = result.lastSeq === null ? seq : Math.max(result.lastSeq, seq);
      });
      for (const p of pending) if (!stored.has(p)) results[p.call]!.duplicateIndexes.push(p.index);
      for (const r of results) r.duplicateIndexes.sort((a, b) => a - b);
      return results;
    },
    find(eventId) {
      const seq = seqOf(catchUp(), eventId, fingerprint(eventId));
      if (seq === null) return null;
      const row = rowAt.get(seq) as LogRowColumns | undefined;
      return row === undefined ? null : toLogRow(row, sourceOf);
    },

    forget(removed) {
      if (index === null) return;
      for (const r of removed) index.remove(r.fp, r.seq);
    },
  };
}
