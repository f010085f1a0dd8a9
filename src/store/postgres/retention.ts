import type { Logger } from 'pino';
import type { Chunk, Chunks } from './chunks.js';
import { ERRORS_KEPT } from './history.js';
import type { Db } from './pool.js';
import { computeHolds, type Holds } from '../shared.js';

/** Per-minute delivery points are kept this long. */
export const DELIVERY_POINTS_KEPT_MS = 7 * 24 * 3600 * 1000;

const SQL = {
  exportStarts: 'SELECT id, start_seq FROM exports',
  // Live cursors (generation 0) of exports that still exist: the lowest per export and partition. Retired cursors
  // ('~feed': what a removed feed had done) hold nothing.
  liveHolds:
    'SELECT c.export_id, c.part, min(c.seq) AS hold FROM cursors c ' +
    'JOIN exports e ON e.id = c.export_id ' +
    "WHERE c.generation = 0 AND c.feed NOT LIKE '~%' " +
    'GROUP BY c.export_id, c.part',
  // A replay holds only while unfinished and short of its end: past uptoSeq it needs nothing more.
  replayHolds:
    'SELECT c.part, min(c.seq) AS hold FROM cursors c ' +
    'JOIN replays r ON r.export_id = c.export_id AND r.generation = c.generation ' +
    'JOIN exports e ON e.id = c.export_id ' +
    "WHERE c.generation > 0 AND c.feed NOT LIKE '~%' AND r.finished_at IS NULL AND c.seq < r.upto_seq " +
    'GROUP BY c.part',
  nextSeq: 'SELECT next_seq FROM log_state',
  pruneMinutes: 'DELETE FROM delivery_minutes WHERE minute < $1',
  pruneErrors:
    'DELETE FROM export_errors e USING (SELECT id, row_number() OVER ' +
    '(PARTITION BY export_id ORDER BY at DESC, id DESC) AS rn FROM export_errors) r WHERE e.id = r.id AND r.rn > $1',
} as const;

/**
 * The highest seq of each user partition in a chunk, by a skip scan over its (part, seq) key: one index probe per
 * partition present, never a scan of the chunk. The name comes from log_partitions, which only we write.
 */
const partHeadsSql = (chunk: string): string =>
  'WITH RECURSIVE parts(part) AS (' +
  `(SELECT part FROM ${chunk} ORDER BY part LIMIT 1) UNION ALL ` +
  `SELECT (SELECT c.part FROM ${chunk} c WHERE c.part > parts.part ORDER BY c.part LIMIT 1) FROM parts ` +
  'WHERE parts.part IS NOT NULL) ' +
  `SELECT part, (SELECT max(c.seq) FROM ${chunk} c WHERE c.part = parts.part) AS max_seq FROM parts ` +
  'WHERE part IS NOT NULL';

type Query = <R>(sql: string) => Promise<R[]>;

/** Read in one snapshot, so a cursor moved between two of the queries cannot be missed by both. */
function holdsOf(db: Db): Promise<Holds> {
  return db.tx(async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return readHolds(async (sql) => (await client.query(sql)).rows);
  });
}

async function readHolds(query: Query): Promise<Holds> {
  return computeHolds(
    await query<{ id: string; start_seq: number }>(SQL.exportStarts),
    await query<{ export_id: string; part: number; hold: number }>(SQL.liveHolds),
    await query<{ part: number; hold: number }>(SQL.replayHolds),
  );
}

/** Every row of the chunk is at or below the hold of its partition. */
async function released(db: Db, chunk: Chunk, holds: Holds): Promise<boolean> {
  if (chunk.events === 0) return true;
  const heads = await db.query<{ part: number; max_seq: number }>(partHeadsSql(chunk.name));
  return heads.every((h) => h.max_seq <= (holds.byPartition.get(h.part) ?? holds.other));
}

/**
 * Retention drops whole chunks of the log, never rows: a chunk goes when it is sealed (the head has moved past it),
 * every row in it was received before `olderThanMs`, and every export is past each of its partitions' rows there
 * (the same holds as the SQLite store: live cursors, unfinished replays below their end, exports without a cursor
 * on a partition from their startSeq). Other tables lose old rows by ordinary deletes.
 *
 * One process at a time (a session advisory lock; another process already at it makes this pass a no-op).
 * `stopping` is asked between chunks: a store being closed ends the pass early.
 */
export function makeRetention(
  db: Db,
  chunks: Chunks,
  logger: Logger,
  stopping: () => boolean,
): (olderThanMs: number) => Promise<number> {
  const housekeeping = (now: number): Promise<void> =>
    db.tx(async (client) => {
      await client.query(SQL.pruneMinutes, [now - DELIVERY_POINTS_KEPT_MS]);
      await client.query(SQL.pruneErrors, [ERRORS_KEPT]);
    });

  const pass = async (olderThanMs: number): Promise<number> => {
    let removed = await chunks.recover();
    await chunks.sealHead(olderThanMs);
    const holds = await holdsOf(db);
    const [{ next_seq: nextSeq }] = (await db.query<{ next_seq: number }>(SQL.nextSeq)) as [{ next_seq: number }];
    for (const chunk of await chunks.list()) {
      // Chunks are listed in seq order: from the first one still written to, none is sealed.
      if (chunk.hi > nextSeq) break;
      if (chunk.maxReceived !== null && chunk.maxReceived >= olderThanMs) continue;
      if (stopping()) return removed;
      if (!(await released(db, chunk, holds))) continue;
      removed += await chunks.drop(chunk);
      logger.debug({ chunk: chunk.name, events: chunk.events }, 'retention dropped a partition of the event log');
    }
    return removed;
  };

  return async (olderThanMs) => {
    const removed = await exclusive(db, () => pass(olderThanMs));
    if (!stopping()) await housekeeping(Date.now());
    return removed ?? 0;
  };
}

/**
 * Run fn while holding the retention lock on one connection; null when another process holds it. The lock is a
 * session lock (DETACH CONCURRENTLY cannot run in a transaction), released at the end or with the connection.
 */
async function exclusive<T>(db: Db, fn: () => Promise<T>): Promise<T | null> {
  return db.withClient(async (client) => {
    const { rows } = await client.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_lock(${db.lockKeys('retention')}) AS ok`,
    );
    if (!rows[0]!.ok) return null;
    try {
      return await fn();
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${db.lockKeys('retention')})`).catch(() => undefined);
    }
  });
}
