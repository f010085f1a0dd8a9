import type { Logger } from 'pino';
import { toError } from '../errors.js';
import type { Db } from './pool.js';

/**
 * The log's partitions ("chunks", so the word stays free for the user partitions of the glossary): ranges of
 * `size` seqs, each its own table attached to event_log. Chunks are created ahead of the head, never by an append
 * in the normal course, and dropped whole by retention.
 */
export interface Chunk {
  lo: number;
  hi: number;
  name: string;
  events: number;
  bytes: number;
  minReceived: number | null;
  maxReceived: number | null;
}

const SQL = {
  covered: 'SELECT coalesce((SELECT max(hi) FROM log_partitions), (SELECT next_seq FROM log_state)) AS covered',
  record: 'INSERT INTO log_partitions (lo, hi, name) VALUES ($1, $2, $3)',
  list:
    'SELECT lo, hi, name, events, bytes, min_received AS "minReceived", max_received AS "maxReceived" ' +
    'FROM log_partitions ORDER BY lo',
  // Chunks whose drop was interrupted (a crash or a lost connection between detaching and dropping).
  interrupted:
    'SELECT c.lo, c.name, coalesce(i.inhdetachpending, false) AS pending FROM log_partitions c ' +
    "LEFT JOIN pg_inherits i ON i.inhrelid = to_regclass(c.name) AND i.inhparent = to_regclass('event_log') " +
    'WHERE i.inhrelid IS NULL OR i.inhdetachpending',
  forget: 'DELETE FROM log_partitions WHERE lo = $1 RETURNING events',
  // Move next_seq to the end of the chunk holding the head when that chunk holds a row received before $1: it stops
  // growing, and once all its rows are old it can be dropped. Without this, a quiet installation would keep writing
  // into one chunk for months and retention could never drop it.
  seal:
    'UPDATE log_state s SET next_seq = c.hi FROM log_partitions c ' +
    'WHERE c.lo <= s.head_seq AND s.head_seq < c.hi AND c.hi > s.next_seq AND c.min_received < $1 ' +
    'RETURNING s.next_seq',
} as const;

/** Chunk tables are named by their first seq; lo comes from our own arithmetic, never from input. */
const chunkName = (lo: number): string => `event_log_${lo}`;

export interface Chunks {
  readonly size: number;
  /** Make sure chunks cover every seq up to `through` (inclusive); returns the end (exclusive) of the last chunk. */
  ensure(through: number): Promise<number>;
  /** After a commit: when the head is within half a chunk of the end, create the next chunk in the background. */
  afterAppend(head: number, covered: number): void;
  list(): Promise<Chunk[]>;
  /** Seal the chunk holding the head when it holds rows received before `olderThanMs` (see SQL.seal). */
  sealHead(olderThanMs: number): Promise<void>;
  /** Detach (without blocking readers and writers) and drop one chunk; returns the events it held. */
  drop(chunk: Pick<Chunk, 'lo' | 'name'>): Promise<number>;
  /** Finish drops that were interrupted; returns the events they held. */
  recover(): Promise<number>;
  /** Wait for background creation (close calls it). */
  idle(): Promise<void>;
}

export function makeChunks(db: Db, size: number, logger: Logger): Chunks {
  let known = 0;
  let background: Promise<void> | null = null;

  const ensure = async (through: number): Promise<number> => {
    if (through < known) return known;
    known = await db.tx(async (client) => {
      // Processes that notice together take turns; the second finds the chunk made and does nothing.
      await client.query(`SELECT pg_advisory_xact_lock(${db.lockKeys('partitions')})`);
      let covered = (await client.query<{ covered: number }>(SQL.covered)).rows[0]!.covered;
      if (covered > through) return covered;
      // The lock ATTACH needs, taken first: CREATE TABLE ... LIKE event_log would otherwise hold a weaker lock on the
      // log while waiting for this one behind a retention's DETACH ... CONCURRENTLY, which waits for that holder.
      await client.query('LOCK TABLE event_log IN SHARE UPDATE EXCLUSIVE MODE');
      while (covered <= through) {
        const lo = covered;
        const name = chunkName(lo);
        // CREATE TABLE ... PARTITION OF would lock the whole log (ACCESS EXCLUSIVE) for the transaction; ATTACH takes
        // SHARE UPDATE EXCLUSIVE, which reads and appends do not wait for. The table is empty: nothing to validate.
        await client.query(`CREATE TABLE ${name} (LIKE event_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
        await client.query(`ALTER TABLE event_log ATTACH PARTITION ${name} FOR VALUES FROM (${lo}) TO (${lo + size})`);
        await client.query(SQL.record, [lo, lo + size, name]);
        covered = lo + size;
      }
      return covered;
    });
    return known;
  };

  const finish = (lo: number, name: string): Promise<number> =>
    db.tx(async (client) => {
      await client.query(`DROP TABLE IF EXISTS ${name}`);
      return (await client.query<{ events: number }>(SQL.forget, [lo])).rows[0]?.events ?? 0;
    });

  return {
    size,
    ensure,
    afterAppend(head, covered) {
      known = Math.max(known, covered);
      if (background !== null || covered - head > size / 2) return;
      background = ensure(head + size)
        .then(
          () => undefined,
          (e: unknown) => {
            // Not fatal: an append that reaches the end of the last chunk creates the next one itself.
            logger.warn({ err: toError(e).message }, 'could not create the next partition of the event log ahead');
          },
        )
        .finally(() => {
          background = null;
        });
    },
    list: () => db.query<Chunk>(SQL.list),
    async sealHead(olderThanMs) {
      const sealed = await db.tx(async (client) => {
        // Under the append lock: no append is between reading next_seq and committing.
        await client.query(`SELECT pg_advisory_xact_lock(${db.lockKeys('append')})`);
        return (await client.query<{ next_seq: number }>(SQL.seal, [olderThanMs])).rows[0]?.next_seq ?? null;
      });
      if (sealed !== null) await ensure(sealed + size - 1);
    },
    async drop({ lo, name }) {
      // A plain DROP of a partition takes ACCESS EXCLUSIVE on the whole log, and everyone queues behind it while it
      // waits for a long read. DETACH ... CONCURRENTLY only waits for the readers and writers already there.
      await db.query(`ALTER TABLE event_log DETACH PARTITION ${name} CONCURRENTLY`);
      return finish(lo, name);
    },
    async recover() {
      let removed = 0;
      for (const c of await db.query<{ lo: number; name: string; pending: boolean }>(SQL.interrupted)) {
        if (c.pending) await db.query(`ALTER TABLE event_log DETACH PARTITION ${c.name} FINALIZE`);
        removed += await finish(c.lo, c.name);
      }
      return removed;
    },
    async idle() {
      while (background !== null) await background;
    },
  };
}
