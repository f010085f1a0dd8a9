import type { CounterDelta, DeadLetter, Drop, ExportErrorEntry, NewReplay, Replay, ReplayCount } from '../../types.js';
import type { DeadLetterQuery } from '../port.js';
import { addCounters, addDeliveredPoint } from './delivery-state.js';
import type { Db } from './pool.js';

// What happened to an export's events besides delivery: dead letters, drops, errors, replays.

/** Errors kept per export (the port promises at least 200). */
export const ERRORS_KEPT = 200;

const DEAD_LETTER_COLUMNS =
  'id, export_id AS "exportId", feed, batch, event_ids AS "eventIds", types, status, error, ' +
  'created_at AS "createdAt", attempts, last_attempt_at AS "lastAttemptAt"';
const SQL = {
  listDeadLetters:
    `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE export_id = $1 AND id > $2 ` +
    'AND ($4::text IS NULL OR $4::text = ANY(event_ids)) ORDER BY id LIMIT $3',
  getDeadLetters: `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE export_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`,
  removeDeadLetter: 'DELETE FROM dead_letters WHERE id = $1 RETURNING export_id, feed',
  failDeadLetter:
    'UPDATE dead_letters SET attempts = attempts + 1, status = $1, error = $2, last_attempt_at = $3 WHERE id = $4',
  countDeadLetters: 'SELECT count(*) AS n FROM dead_letters WHERE export_id = $1',
  drops:
    'SELECT id, export_id AS "exportId", feed, type, count, first_time AS "firstTime", last_time AS "lastTime", ' +
    'reason, dropped_at AS "droppedAt" FROM drops WHERE export_id = $1 ORDER BY id',
  addError: 'INSERT INTO export_errors (export_id, feed, message, at) VALUES ($1, $2, $3, $4)',
  // Keep the most recent ERRORS_KEPT of this export; cheap on the (export_id, at, id) index.
  capErrors:
    'DELETE FROM export_errors WHERE export_id = $1 AND id NOT IN ' +
    '(SELECT id FROM export_errors WHERE export_id = $1 ORDER BY at DESC, id DESC LIMIT $2)',
  listErrors: 'SELECT feed, message, at FROM export_errors WHERE export_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
  // NO KEY UPDATE: replays of one export are numbered one at a time, by every process, while a sender's
  // commitProgress (KEY SHARE on the same row) goes on; a delete of the export waits, or is waited for and seen.
  lockExport: 'SELECT 1 FROM exports WHERE id = $1 FOR NO KEY UPDATE',
  addReplay:
    'INSERT INTO replays (export_id, generation, from_time, to_time, upto_seq, created_at, finished_at) ' +
    'SELECT $1, coalesce(max(generation), 0) + 1, $2, $3, $4, $5, NULL FROM replays WHERE export_id = $1 ' +
    'RETURNING generation',
  replays:
    'SELECT export_id AS "exportId", generation, from_time AS "fromTime", to_time AS "toTime", ' +
    'upto_seq AS "uptoSeq", created_at AS "createdAt", finished_at AS "finishedAt" FROM replays ' +
    'WHERE export_id = $1 ORDER BY generation',
  finishReplay: 'UPDATE replays SET finished_at = $1 WHERE export_id = $2 AND generation = $3',
  replayCounts:
    'SELECT generation, outcome, sum(count)::bigint AS count FROM replay_counters WHERE export_id = $1 ' +
    'GROUP BY generation, outcome ORDER BY generation, outcome',
} as const;

export function makeHistory(db: Db) {
  return {
    listDeadLetters: (exportId: string, q: DeadLetterQuery): Promise<DeadLetter[]> =>
      db.query<DeadLetter>(SQL.listDeadLetters, [exportId, q.afterId ?? 0, Math.max(0, q.limit), q.eventId ?? null]),
    getDeadLetters: (exportId: string, ids: readonly number[]): Promise<DeadLetter[]> =>
      db.query<DeadLetter>(SQL.getDeadLetters, [exportId, ids]),
    // A dead letter already resolved (a second click, a concurrent retry) adds nothing: its events count once.
    resolveDeadLetter: (id: number, counters: readonly CounterDelta[], at: number): Promise<boolean> =>
      db.tx(async (client) => {
        const row = (await client.query<{ export_id: string; feed: string }>(SQL.removeDeadLetter, [id])).rows[0];
        if (row === undefined) return false;
        await addCounters(client, row.export_id, counters);
        const delivered = counters.reduce((n, c) => n + (c.outcome === 'delivered' ? c.count : 0), 0);
        await addDeliveredPoint(client, row.export_id, row.feed, at, delivered);
        return true;
      }),
    failDeadLetter: async (id: number, status: number | null, error: string, at: number): Promise<void> =>
      void (await db.query(SQL.failDeadLetter, [status ?? null, error, at, id])),
    countDeadLetters: async (exportId: string): Promise<number> =>
      (await db.query<{ n: number }>(SQL.countDeadLetters, [exportId]))[0]!.n,
    listDrops: (exportId: string): Promise<Drop[]> => db.query<Drop>(SQL.drops, [exportId]),
    addError: (e: ExportErrorEntry): Promise<void> =>
      db.tx(async (client) => {
        await client.query(SQL.addError, [e.exportId, e.feed ?? null, e.message, e.at]);
        await client.query(SQL.capErrors, [e.exportId, ERRORS_KEPT]);
      }),
    listErrors: async (exportId: string, limit: number): Promise<ExportErrorEntry[]> =>
      (
        await db.query<{ feed: string | null; message: string; at: number }>(SQL.listErrors, [
          exportId,
          Math.max(0, limit),
        ])
      ).map((r) => ({ exportId, ...r })),
    // Under the export row's lock, max(generation) is read after the previous holder committed (READ COMMITTED
    // takes a new snapshot per statement), so each call numbers its replay one above the last.
    createReplay: (r: NewReplay): Promise<Replay> =>
      db.tx(async (client) => {
        if ((await client.query(SQL.lockExport, [r.exportId])).rowCount === 0) {
          throw new Error(`there is no export with id ${r.exportId} (was it deleted?): reload the list of exports`);
        }
        const [row] = (
          await client.query<{ generation: number }>(SQL.addReplay, [
            r.exportId,
            r.fromTime,
            r.toTime,
            r.uptoSeq,
            r.createdAt,
          ])
        ).rows;
        return { ...r, generation: row!.generation, finishedAt: null };
      }),
    listReplays: (exportId: string): Promise<Replay[]> => db.query<Replay>(SQL.replays, [exportId]),
    finishReplay: async (exportId: string, generation: number, at: number): Promise<void> =>
      void (await db.query(SQL.finishReplay, [at, exportId, generation])),
    replayCounts: (exportId: string): Promise<ReplayCount[]> => db.query<ReplayCount>(SQL.replayCounts, [exportId]),
  };
}
