import type pg from 'pg';
import { FUTURE_DATED_SECONDS, type NewEvent } from '../../types.js';
import type { AppendResult } from '../port.js';
import type { Chunks } from './chunks.js';
import type { Db } from './pool.js';
import type { PgSourceKeys } from './sources.js';

/** How long an append waits for another process's append to commit before giving up (503, retried by the client). */
const APPEND_LOCK_TIMEOUT = '30s';

/**
 * One statement per transaction: keep the events whose id is not in the log yet, number them from $10 in input
 * order, insert them, and move the chunk totals, the sources' totals (and future-dated counts) and the log head. The whole statement runs under the append lock,
 * taken by an earlier statement of the transaction, so its snapshot includes every append committed before: the
 * dedup check is exact across processes, and seqs are handed out and committed in the same order.
 *
 * The payloads travel as one parameter each ($11...), gathered by ARRAY[...]: a text[] literal of a few MB costs
 * escaping here and parsing there, about twice the time (bench/pg-append.ts). The dedup probe is a LATERAL ...
 * LIMIT 1 so that it stays one index lookup per event in each partition: as NOT EXISTS the planner may turn it
 * into a hash anti-join over a whole partition when its statistics are young. The chunk totals are summed per chunk
 * the new seqs fall in (one or two), not looked up per row.
 */
function insertSql(rows: number): string {
  const payloads = separatePayloads(rows)
    ? `ARRAY[${Array.from({ length: rows }, (_, i) => `$${i + 11}`).join(',')}]`
    : '$11';
  return `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                       $8::bigint[], $9::int[], ${payloads}::text[])
    WITH ORDINALITY AS t(event_id, type, part, external_user_id, platform, app_id, event_time, received_at,
                         source_key, payload, ord)
), fresh AS (
  SELECT i.*, $10::bigint - 1 + row_number() OVER (ORDER BY i.ord) AS seq
  FROM input i
  LEFT JOIN LATERAL (SELECT true AS hit FROM event_log l WHERE l.event_id = i.event_id LIMIT 1) d ON true
  WHERE d.hit IS NULL
), inserted AS (
  INSERT INTO event_log (seq, event_id, type, part, external_user_id, platform, app_id, event_time, received_at, payload,
                         source_key)
  SELECT seq, event_id, type, part, external_user_id, platform, app_id, event_time, received_at, payload, source_key
  FROM fresh ORDER BY seq
  RETURNING seq, received_at, octet_length(payload) AS bytes, source_key, event_time, type
), futured AS (
  INSERT INTO future_dated AS f (key, type, events, newest_event_time, last_received_at)
  SELECT source_key, type, count(*), max(event_time), max(received_at) FROM inserted
  WHERE event_time > received_at / 1000 + ${FUTURE_DATED_SECONDS} GROUP BY source_key, type
  ON CONFLICT (key, type) DO UPDATE SET events = f.events + excluded.events,
    newest_event_time = GREATEST(f.newest_event_time, excluded.newest_event_time),
    last_received_at = GREATEST(f.last_received_at, excluded.last_received_at)
  RETURNING f.key
), sourced AS (
  INSERT INTO source_totals AS t (key, events, last_received_at, newest_event_time)
  SELECT source_key, count(*), max(received_at), max(event_time) FROM inserted GROUP BY source_key
  ON CONFLICT (key) DO UPDATE SET events = t.events + excluded.events,
    last_received_at = GREATEST(t.last_received_at, excluded.last_received_at),
    newest_event_time = GREATEST(t.newest_event_time, excluded.newest_event_time)
  RETURNING t.key
), span AS (
  SELECT min(seq) AS first, max(seq) AS last FROM inserted
), totals AS (
  UPDATE log_partitions c
  SET events = c.events + x.events, bytes = c.bytes + x.bytes,
      min_received = LEAST(c.min_received, x.min_received), max_received = GREATEST(c.max_received, x.max_received)
  FROM (
    SELECT p.lo, x.* FROM span, log_partitions p, LATERAL (
      SELECT count(*) AS events, sum(i.bytes) AS bytes, min(i.received_at) AS min_received,
             max(i.received_at) AS max_received
      FROM inserted i WHERE i.seq >= p.lo AND i.seq < p.hi
    ) x
    WHERE p.hi > span.first AND p.lo <= span.last
  ) x
  WHERE c.lo = x.lo
  RETURNING c.lo
), head AS (
  UPDATE log_state s SET next_seq = span.last + 1, head_seq = span.last
  FROM span WHERE span.last IS NOT NULL
  RETURNING s.head_seq
)
SELECT (SELECT array_agg(ord::int ORDER BY ord) FROM fresh) AS fresh,
       (SELECT count(*) FROM totals) AS chunks,
       (SELECT head_seq FROM head) AS head`;
}

/**
 * A statement takes at most 65,535 parameters; a single call larger than this (a big import chunk) sends its payloads
 * as one text[] instead, slower but unbounded.
 */
const MAX_PAYLOAD_PARAMS = 50_000;
const separatePayloads = (rows: number): boolean => rows <= MAX_PAYLOAD_PARAMS;

interface Pending {
  event: NewEvent;
  call: number;
  index: number;
}

type Attempt = { need: number } | { first: number; fresh: number[]; covered: number };

export interface Appender {
  /**
   * Write the events of several `append` calls in ONE transaction and tell each call what became of its events. A
   * duplicate is an event id seen earlier in this transaction (in any call: the first wins) or already in the log.
   */
  append(calls: readonly (readonly NewEvent[])[]): Promise<AppendResult[]>;
}

function params(pending: readonly Pending[], firstSeq: number, sourceKeys: ReadonlyMap<string, number>): unknown[] {
  const columns: unknown[][] = Array.from({ length: 9 }, () => new Array<unknown>(pending.length));
  pending.forEach(({ event: e }, i) => {
    columns[0]![i] = e.eventId;
    columns[1]![i] = e.type;
    columns[2]![i] = e.partition;
    columns[3]![i] = e.externalUserId ?? null;
    columns[4]![i] = e.platform ?? null;
    columns[5]![i] = e.appId ?? null;
    columns[6]![i] = e.time;
    columns[7]![i] = e.receivedAt;
    columns[8]![i] = sourceKeys.get(e.source);
  });
  const payloads = pending.map((p) => p.event.payload);
  return separatePayloads(pending.length) ? [...columns, firstSeq, ...payloads] : [...columns, firstSeq, payloads];
}

/** PostgreSQL's check_violation for a row no partition of the log takes. */
function isMissingPartition(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { code?: unknown }).code === '23514' &&
    /no partition of relation/.test(String((e as { message?: unknown }).message))
  );
}

export function makeAppender(db: Db, chunks: Chunks, sources: PgSourceKeys): Appender {
  const attempt = (pending: readonly Pending[], sourceKeys: ReadonlyMap<string, number>): Promise<Attempt> =>
    db.withClient(async (client) => {
      let next: number | null = null;
      try {
        // One round trip: open, wait for the lock, read where to write.
        const results = (await client.query(
          `BEGIN; SET LOCAL lock_timeout = '${APPEND_LOCK_TIMEOUT}'; ` +
            `SELECT pg_advisory_xact_lock(${db.lockKeys('append')}); ` +
            'SELECT next_seq, (SELECT max(hi) FROM log_partitions) AS covered FROM log_state',
        )) as unknown as pg.QueryResult<{ next_seq: number; covered: number | null }>[];
        const state = results[results.length - 1]!.rows[0]!;
        const covered = state.covered;
        next = state.next_seq;
        if (covered === null || next + pending.length > covered) {
          await client.query('ROLLBACK');
          return { need: next + pending.length - 1 };
        }
        const sql = insertSql(pending.length);
        const row = (await client.query<{ fresh: number[] | null }>(sql, params(pending, next, sourceKeys))).rows[0]!;
        await client.query('COMMIT');
        return { first: next, fresh: row.fresh ?? [], covered };
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        // The chunk is recorded but this session did not route to it: a partition another process had just attached
        // (ATTACH takes a lock appends do not wait for) was not yet in this session's view of the log (seen once
        // under four concurrent writers). Nothing was written: make sure of the room and try again, as when short.
        if (next !== null && isMissingPartition(e)) return { need: next + pending.length - 1 };
        throw e;
      }
    });

  return {
    async append(calls) {
      const results: AppendResult[] = calls.map(() => ({ stored: 0, duplicateIndexes: [], lastSeq: null }));
      const seen = new Set<string>();
      const pending: Pending[] = [];
      calls.forEach((evs, call) => {
        evs.forEach((event, index) => {
          if (seen.has(event.eventId)) results[call]!.duplicateIndexes.push(index);
          else {
            seen.add(event.eventId);
            pending.push({ event, call, index });
          }
        });
      });

      if (pending.length > 0) {
        const sourceKeys = await sources.keysFor([...new Set(pending.map((p) => p.event.source))]);
        let outcome = await attempt(pending, sourceKeys);
        // The batch would run past the last chunk (a burst larger than the room created ahead): create what it
        // needs, outside the append lock, and try again. Bounded: each round creates at least the room asked for.
        for (let round = 0; 'need' in outcome; round++) {
          if (round === 3) throw new Error('the event log kept running out of partitions; retry the append');
          await chunks.ensure(outcome.need + chunks.size);
          outcome = await attempt(pending, sourceKeys);
        }
        const stored = new Set<number>();
        outcome.fresh.forEach((ord, i) => {
          const p = pending[ord - 1]!;
          const seq = outcome.first + i;
          stored.add(ord - 1);
          const r = results[p.call]!;
          r.stored += 1;
          r.lastSeq = r.lastSeq === null ? seq : Math.max(r.lastSeq, seq);
        });
        pending.forEach((p, i) => {
          if (!stored.has(i)) results[p.call]!.duplicateIndexes.push(p.index);
        });
        if (outcome.fresh.length > 0) chunks.afterAppend(outcome.first + outcome.fresh.length - 1, outcome.covered);
      }
      for (const r of results) r.duplicateIndexes.sort((a, b) => a - b);
      return results;
    },
  };
}
