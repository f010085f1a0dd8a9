import type Database from 'better-sqlite3';
import type { CounterDelta, DeadLetter, Drop, ExportErrorEntry, NewReplay, Replay, ReplayCount } from '../../types.js';
import type { DeadLetterQuery } from '../port.js';
import { ERRORS_KEPT } from './retention.js';

// What happened to an export's events besides delivery: dead letters, drops, errors, replays.

const DEAD_LETTER_COLUMNS =
  'id, export_id, feed, batch, event_ids, types, status, error, created_at, attempts, last_attempt_at';
const SQL = {
  listDeadLetters:
    `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters WHERE export_id = ? AND id > ? ` +
    'AND (? IS NULL OR EXISTS (SELECT 1 FROM json_each(event_ids) WHERE value = ?)) ORDER BY id LIMIT ?',
  getDeadLetters:
    `SELECT ${DEAD_LETTER_COLUMNS} FROM dead_letters ` +
    'WHERE export_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id',
  removeDeadLetter: 'DELETE FROM dead_letters WHERE id = ? RETURNING export_id, feed',
  failDeadLetter:
    'UPDATE dead_letters SET attempts = attempts + 1, status = ?, error = ?, last_attempt_at = ? WHERE id = ?',
  countDeadLetters: 'SELECT count(*) FROM dead_letters WHERE export_id = ?',
  drops:
    'SELECT id, export_id, feed, type, count, first_time, last_time, reason, dropped_at FROM drops ' +
    'WHERE export_id = ? ORDER BY id',
  addError: 'INSERT INTO export_errors (export_id, feed, message, at) VALUES (?, ?, ?, ?)',
  // Keep the most recent ERRORS_KEPT of this export; cheap on the (export_id, at, id) index.
  capErrors:
    'DELETE FROM export_errors WHERE export_id = @exportId AND id NOT IN ' +
    '(SELECT id FROM export_errors WHERE export_id = @exportId ORDER BY at DESC, id DESC LIMIT @keep)',
  listErrors: 'SELECT feed, message, at FROM export_errors WHERE export_id = ? ORDER BY at DESC, id DESC LIMIT ?',
  exportExists: 'SELECT 1 FROM exports WHERE id = ?',
  addReplay:
    'INSERT INTO replays (export_id, generation, from_time, to_time, upto_seq, created_at, finished_at) ' +
    'SELECT @exportId, coalesce(max(generation), 0) + 1, @fromTime, @toTime, @uptoSeq, @createdAt, NULL ' +
    'FROM replays WHERE export_id = @exportId RETURNING generation',
  replays:
    'SELECT generation, from_time, to_time, upto_seq, created_at, finished_at FROM replays ' +
    'WHERE export_id = ? ORDER BY generation',
  finishReplay: 'UPDATE replays SET finished_at = ? WHERE export_id = ? AND generation = ?',
  replayCounts:
    'SELECT generation, outcome, count FROM replay_counters WHERE export_id = ? ORDER BY generation, outcome',
} as const;

interface DeadLetterRow {
  id: number;
  export_id: string;
  feed: string;
  batch: string;
  event_ids: string;
  types: string;
  status: number | null;
  error: string;
  created_at: number;
  attempts: number;
  last_attempt_at: number | null;
}

const toDeadLetter = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  exportId: r.export_id,
  feed: r.feed,
  batch: r.batch,
  eventIds: JSON.parse(r.event_ids) as string[],
  types: JSON.parse(r.types) as string[],
  status: r.status,
  error: r.error,
  createdAt: r.created_at,
  attempts: r.attempts,
  lastAttemptAt: r.last_attempt_at,
});

interface DropRow {
  id: number;
  export_id: string;
  feed: string;
  type: string;
  count: number;
  first_time: number;
  last_time: number;
  reason: string;
  dropped_at: number;
}

export function makeHistory(
  db: Database.Database,
  addCounters: (exportId: string, deltas: readonly CounterDelta[]) => void,
  addDelivered: (exportId: string, feed: string, at: number, count: number) => void,
) {
  const listDeadLetters = db.prepare(SQL.listDeadLetters);
  const getDeadLetters = db.prepare(SQL.getDeadLetters);
  const removeDeadLetter = db.prepare(SQL.removeDeadLetter);
  const failDeadLetter = db.prepare(SQL.failDeadLetter);
  const countDeadLetters = db.prepare(SQL.countDeadLetters).pluck();
  const drops = db.prepare(SQL.drops);
  const addError = db.prepare(SQL.addError);
  const capErrors = db.prepare(SQL.capErrors);
  const listErrors = db.prepare(SQL.listErrors);
  const exportExists = db.prepare(SQL.exportExists).pluck();
  const addReplay = db.prepare(SQL.addReplay).pluck();
  const replays = db.prepare(SQL.replays);
  const finishReplay = db.prepare(SQL.finishReplay);
  const replayCounts = db.prepare(SQL.replayCounts);

  // A dead letter already resolved (a second click, a concurrent retry) adds nothing: its events count once.
  const resolve = db.transaction((id: number, counters: readonly CounterDelta[], at: number): boolean => {
    const row = removeDeadLetter.get(id) as { export_id: string; feed: string } | undefined;
    if (row === undefined) return false;
    addCounters(row.export_id, counters);
    const delivered = counters.reduce((n, c) => n + (c.outcome === 'delivered' ? c.count : 0), 0);
    addDelivered(row.export_id, row.feed, at, delivered);
    return true;
  });

  // Run IMMEDIATE (createReplay below): the write lock is taken before max(generation) is read, so no other
  // connection to the file (a second process, the CLI) can number a replay in between.
  const addReplayTx = db.transaction((r: NewReplay): Replay => {
    if (exportExists.get(r.exportId) === undefined) {
      throw new Error(`there is no export with id ${r.exportId} (was it deleted?): reload the list of exports`);
    }
    const generation = addReplay.get({
      exportId: r.exportId,
      fromTime: r.fromTime,
      toTime: r.toTime,
      uptoSeq: r.uptoSeq,
      createdAt: r.createdAt,
    }) as number;
    return { ...r, generation, finishedAt: null };
  });

  const recordError = db.transaction((e: ExportErrorEntry) => {
    addError.run(e.exportId, e.feed ?? null, e.message, e.at);
    capErrors.run({ exportId: e.exportId, keep: ERRORS_KEPT });
  });

  return {
    listDeadLetters: (exportId: string, q: DeadLetterQuery): DeadLetter[] =>
      (
        listDeadLetters.all(
          exportId,
          q.afterId ?? 0,
          q.eventId ?? null,
          q.eventId ?? null,
          Math.max(0, q.limit),
        ) as DeadLetterRow[]
      ).map(toDeadLetter),
    getDeadLetters: (exportId: string, ids: readonly number[]): DeadLetter[] =>
      (getDeadLetters.all(exportId, JSON.stringify(ids)) as DeadLetterRow[]).map(toDeadLetter),
    resolveDeadLetter: (id: number, counters: readonly CounterDelta[], at: number): boolean =>
      resolve.immediate(id, counters, at),
    failDeadLetter: (id: number, status: number | null, error: string, at: number): void =>
      void failDeadLetter.run(status ?? null, error, at, id),
    countDeadLetters: (exportId: string): number => countDeadLetters.get(exportId) as number,
    listDrops: (exportId: string): Drop[] =>
      (drops.all(exportId) as DropRow[]).map((r) => ({
        id: r.id,
        exportId: r.export_id,
        feed: r.feed,
        type: r.type,
        count: r.count,
        firstTime: r.first_time,
        lastTime: r.last_time,
        reason: r.reason,
        droppedAt: r.dropped_at,
      })),
    addError: (entry: ExportErrorEntry): void => recordError.immediate(entry),
    listErrors: (exportId: string, limit: number): ExportErrorEntry[] =>
      (listErrors.all(exportId, Math.max(0, limit)) as { feed: string | null; message: string; at: number }[]).map(
        (r) => ({ exportId, ...r }),
      ),
    createReplay: (r: NewReplay): Replay => addReplayTx.immediate(r),
    listReplays: (exportId: string): Replay[] =>
      (
        replays.all(exportId) as {
          generation: number;
          from_time: number;
          to_time: number;
          upto_seq: number;
          created_at: number;
          finished_at: number | null;
        }[]
      ).map((r) => ({
        exportId,
        generation: r.generation,
        fromTime: r.from_time,
        toTime: r.to_time,
        uptoSeq: r.upto_seq,
        createdAt: r.created_at,
        finishedAt: r.finished_at,
      })),
    finishReplay: (exportId: string, generation: number, at: number): void =>
      void finishReplay.run(at, exportId, generation),
    replayCounts: (exportId: string): ReplayCount[] => replayCounts.all(exportId) as ReplayCount[],
  };
}
