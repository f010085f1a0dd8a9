import type { LogRow } from '../../types.js';
import type { Backlog, BacklogQuery, LogStats, ReadQuery, ReadResult } from '../port.js';
import type { Db } from './pool.js';
import { LOG_COLUMNS, toLogRow, type LogRowColumns } from '../shared.js';
import type { PgSourceKeys } from './sources.js';

/** How far out of order (ms) two receipts may be for seqBefore to stay exact. */
export const SEQ_BEFORE_SLACK_MS = 60_000;

/** A read looks at no more rows of its partition than this (or limit * 4), so one sender never stalls the others. */
export const MIN_SCAN_BUDGET = 5000;

const COLUMNS = LOG_COLUMNS;

const SQL = {
  head: 'SELECT head_seq FROM log_state',
  // The last receipt before the time, then the highest seq received in the window just below it: exact as long as
  // receipts out of seq order stay within SEQ_BEFORE_SLACK_MS of each other (group commit reorders within ms).
  seqBefore:
    'WITH last AS (SELECT received_at FROM event_log WHERE received_at < $1 ORDER BY received_at DESC LIMIT 1) ' +
    'SELECT coalesce((SELECT max(seq) FROM event_log ' +
    'WHERE received_at >= (SELECT received_at FROM last) - $2 AND received_at < $1), 0) AS seq',
  // Totals come from the chunk list that appends keep current, in the same snapshot as the head.
  stats:
    'SELECT s.head_seq, coalesce(sum(p.events), 0)::bigint AS events, coalesce(sum(p.bytes), 0)::bigint AS bytes, ' +
    'min(p.min_received) AS oldest FROM log_state s LEFT JOIN log_partitions p ON p.events > 0 GROUP BY s.head_seq',
} as const;

type Filters = Omit<ReadQuery, 'limit' | 'partition' | 'afterSeq' | 'uptoSeq' | 'sources'> & {
  /** The keys of the sources asked for. */
  sourceKeys?: readonly number[];
};

/** The filter conditions of a read, as SQL with their values appended to `params` ($1..$4 are taken). */
function filterSql(q: Filters, params: unknown[]): string {
  const where: string[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (q.types !== undefined) where.push(`type = ANY(${bind(q.types)}::text[])`);
  const isIn = q.platformsIn === undefined ? null : `platform = ANY(${bind(q.platformsIn)}::text[])`;
  const notIn =
    q.platformsNotIn === undefined
      ? null
      : `(platform IS NULL OR NOT (platform = ANY(${bind(q.platformsNotIn)}::text[])))`;
  if (isIn !== null && notIn !== null) where.push(`(${isIn} OR ${notIn})`);
  else if (isIn !== null) where.push(isIn);
  else if (notIn !== null) where.push(notIn);
  if (q.fromTime !== undefined) where.push(`event_time >= ${bind(q.fromTime)}`);
  if (q.toTime !== undefined) where.push(`event_time <= ${bind(q.toTime)}`);
  if (q.sourceKeys !== undefined) where.push(`source_key = ANY(${bind(q.sourceKeys)}::int[])`);
  return where.map((w) => ` AND ${w}`).join('');
}

export interface LogReader {
  read(q: ReadQuery): Promise<ReadResult>;
  countBacklog(q: BacklogQuery): Promise<Backlog>;
  countBacklogBySource(q: BacklogQuery): Promise<Record<string, Backlog>>;
  findEvent(eventId: string): Promise<LogRow | null>;
  headSeq(): Promise<number>;
  seqBefore(ms: number): Promise<number>;
  stats(): Promise<LogStats>;
}

export function makeReader(db: Db, sources: PgSourceKeys): LogReader {
  /** The query's filters, with the sources asked for as keys. */
  const filtersOf = async (q: BacklogQuery): Promise<Filters> => {
    const { sources: ids, ...rest } = q;
    return ids === undefined ? rest : { ...rest, sourceKeys: await sources.keysOf(ids) };
  };
  const toRows = async (found: readonly LogRowColumns[]): Promise<LogRow[]> => {
    const sourceOf = await sources.namer(found.map((r) => r.source_key));
    return found.map((r) => toLogRow(r, sourceOf));
  };
  const backlogWhere = async (q: BacklogQuery, params: unknown[]): Promise<string> =>
    'FROM event_log WHERE part = $1 AND seq > $2 ' +
    `AND seq <= (SELECT LEAST(head_seq, $3::bigint) FROM log_state)${filterSql(await filtersOf(q), params)}`;
  return {
    async read(q) {
      const limit = Math.max(0, Math.floor(q.limit));
      if (limit === 0) return { rows: [], scannedTo: q.afterSeq };
      const budget = Math.max(limit * 4, MIN_SCAN_BUDGET);
      // $1 partition, $2 afterSeq, $3 uptoSeq (null: the head), $4 budget offset, $5 limit, then the filters.
      const params: unknown[] = [q.partition, q.afterSeq, q.uptoSeq ?? null, budget - 1, limit];
      const filters = filterSql(await filtersOf(q), params);
      // One statement, one snapshot: a scannedTo of "head" cannot pass rows committed after the head was read, and
      // since appends commit in seq order no row at or below the head can appear later.
      const sql =
        // MATERIALIZED: inlined, the window's end was recomputed for every row returned.
        'WITH win AS MATERIALIZED (SELECT b.upper, coalesce((SELECT l.seq FROM event_log l WHERE l.part = $1 ' +
        'AND l.seq > $2 AND l.seq <= b.upper ORDER BY l.seq OFFSET $4 LIMIT 1), b.upper) AS window_end ' +
        'FROM (SELECT LEAST(head_seq, $3::bigint) AS upper FROM log_state) b) ' +
        `SELECT w.upper, w.window_end, r.* FROM win w LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM event_log ` +
        `WHERE part = $1 AND seq > $2 AND seq <= w.window_end${filters} ORDER BY seq LIMIT $5) r ON true`;
      const result = await db.query<LogRowColumns & { upper: number; window_end: number }>(sql, params);
      const first = result[0]!;
      if (q.afterSeq >= first.upper) return { rows: [], scannedTo: q.afterSeq };
      const rows = first.seq === null ? [] : await toRows(result);
      const scannedTo = rows.length === limit ? rows[rows.length - 1]!.seq : first.window_end;
      return { rows, scannedTo };
    },
    async countBacklog(q) {
      const params: unknown[] = [q.partition, q.afterSeq, q.uptoSeq ?? null];
      const where = await backlogWhere(q, params);
      const [r] = await db.query<{ events: number; oldest: number | null }>(
        `SELECT count(*) AS events, min(received_at) AS oldest ${where}`,
        params,
      );
      return { events: r!.events, oldestReceivedAt: r!.oldest };
    },
    async countBacklogBySource(q) {
      const params: unknown[] = [q.partition, q.afterSeq, q.uptoSeq ?? null];
      const where = await backlogWhere(q, params);
      const found = await db.query<{ source_key: number; events: number; oldest: number | null }>(
        `SELECT source_key, count(*) AS events, min(received_at) AS oldest ${where} GROUP BY source_key`,
        params,
      );
      const sourceOf = await sources.namer(found.map((r) => r.source_key));
      return Object.fromEntries(
        found.map((r) => [sourceOf(r.source_key), { events: r.events, oldestReceivedAt: r.oldest }]),
      );
    },
    // The hash index on event_id (dedup) finds it.
    async findEvent(eventId) {
      const [r] = await db.query<LogRowColumns>(
        `SELECT ${COLUMNS} FROM event_log WHERE event_id = $1 ORDER BY seq LIMIT 1`,
        [eventId],
      );
      return r === undefined ? null : (await toRows([r]))[0]!;
    },
    headSeq: async () => (await db.query<{ head_seq: number }>(SQL.head))[0]!.head_seq,
    seqBefore: async (ms) => (await db.query<{ seq: number }>(SQL.seqBefore, [ms, SEQ_BEFORE_SLACK_MS]))[0]!.seq,
    async stats() {
      const [r] = await db.query<{ head_seq: number; events: number; bytes: number; oldest: number | null }>(SQL.stats);
      return { events: r!.events, bytes: r!.bytes, headSeq: r!.head_seq, oldestReceivedAt: r!.oldest };
    },
  };
}
