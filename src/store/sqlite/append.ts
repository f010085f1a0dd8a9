import type Database from 'better-sqlite3';
import type { NewEvent } from '../../types.js';
import type { AppendResult } from '../port.js';

/**
 * Rows per INSERT statement. One statement per row costs a VM round trip each; very wide statements cost more to
 * bind than they save. 50 rows x 9 columns = 450 parameters, well under SQLite's 32766. Measured with
 * bench/store-append.ts.
 */
export const ROWS_PER_INSERT = 50;

function insertSql(rows: number): string {
  const tuple = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
  return (
    'INSERT INTO event_log (event_id, type, part, external_user_id, platform, app_id, event_time, received_at, payload)\n' +
    `VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}\n` +
    'ON CONFLICT (event_id) DO NOTHING\n' +
    'RETURNING seq, event_id'
  );
}

const ADD_TOTALS = 'UPDATE log_totals SET events = events + ?, bytes = bytes + ? WHERE id = 1';

interface Pending {
  event: NewEvent;
  call: number;
  index: number;
}

/**
 * Build the function that writes the events of several `append` calls in ONE transaction and tells each call what
 * became of its events. A duplicate is an event id seen earlier in this transaction (in any call: first one wins) or
 * already in the log; it is reported by its index in its own call.
 */
export function makeAppender(db: Database.Database): (calls: readonly (readonly NewEvent[])[]) => AppendResult[] {
  // Prepared once per width; a flush uses the full width for all but its last statement.
  const inserts = new Map<number, Database.Statement>();
  const insert = (rows: number): Database.Statement => {
    let s = inserts.get(rows);
    if (s === undefined) {
      s = db.prepare(insertSql(rows));
      inserts.set(rows, s);
    }
    return s;
  };
  const addTotals = db.prepare(ADD_TOTALS);

  const write = db.transaction((pending: readonly Pending[]): Map<string, number> => {
    const seqById = new Map<string, number>();
    let bytes = 0;
    const params: unknown[] = [];
    for (let start = 0; start < pending.length; start += ROWS_PER_INSERT) {
      const chunk = pending.slice(start, start + ROWS_PER_INSERT);
      params.length = 0;
      for (const { event: e } of chunk) {
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
        );
      }
      const inserted = insert(chunk.length).all(params) as { seq: number; event_id: string }[];
      for (const row of inserted) seqById.set(row.event_id, row.seq);
    }
    for (const p of pending) if (seqById.has(p.event.eventId)) bytes += Buffer.byteLength(p.event.payload);
    if (seqById.size > 0) addTotals.run(seqById.size, bytes);
    return seqById;
  });

  return (calls) => {
    const results: AppendResult[] = calls.map(() => ({ stored: 0, duplicateIndexes: [], lastSeq: null }));
    const seen = new Set<string>();
    const pending: Pending[] = [];
    calls.forEach((events, call) => {
      events.forEach((event, index) => {
        if (seen.has(event.eventId)) {
          results[call]!.duplicateIndexes.push(index);
        } else {
          seen.add(event.eventId);
          pending.push({ event, call, index });
        }
      });
    });
    const seqById = write.immediate(pending);
    for (const { event, call, index } of pending) {
      const result = results[call]!;
      const seq = seqById.get(event.eventId);
      if (seq === undefined) {
        result.duplicateIndexes.push(index);
      } else {
        result.stored += 1;
        result.lastSeq = result.lastSeq === null ? seq : Math.max(result.lastSeq, seq);
      }
    }
    for (const r of results) r.duplicateIndexes.sort((a, b) => a - b);
    return results;
  };
}
