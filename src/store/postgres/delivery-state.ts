import type pg from 'pg';
import type {
  CounterDelta,
  CounterRow,
  Cursor,
  FeedState,
  Inflight,
  NewDeadLetter,
  NewDrop,
  Outcome,
} from '../../types.js';
import { LeaseLostError, StaleCursorError } from '../errors.js';
import type { CursorCas, DeliveryPoint, Progress, StoredFeedState } from '../port.js';
import type { Db } from './pool.js';
import { CURSOR_COLUMNS, cursorColumns, newCursorVersion, sameVersions, toCursor, type CursorRow } from '../shared.js';

const MINUTE_MS = 60_000;

const SQL = {
  // KEY SHARE: a concurrent deleteExport waits for this transaction, so a late sender cannot leave rows behind.
  startSeq: 'SELECT start_seq FROM exports WHERE id = $1 FOR KEY SHARE',
  cursors: `SELECT ${CURSOR_COLUMNS} FROM cursors WHERE export_id = $1 ORDER BY feed, part, generation`,
  putCursors:
    `INSERT INTO cursors (${CURSOR_COLUMNS}) ` +
    'SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::int[], ' +
    '$8::bigint[], $9::text[], $10::text[], $11::bigint[]) ON CONFLICT (export_id, feed, part, generation) ' +
    'DO UPDATE SET seq = excluded.seq, inflight_to = excluded.inflight_to, inflight_done = excluded.inflight_done, ' +
    'inflight_at = excluded.inflight_at, inflight_plan = excluded.inflight_plan, passed = excluded.passed, ' +
    'version = excluded.version',
  // A sender's writes, over the version of the row it knows.
  casCursor:
    'UPDATE cursors SET seq = $1, inflight_to = $2, inflight_done = $3, inflight_at = $4, inflight_plan = $5, ' +
    'passed = $6, version = $7 WHERE export_id = $8 AND feed = $9 AND part = $10 AND generation = $11 AND version = $12',
  casInflight:
    'UPDATE cursors SET inflight_to = $1, inflight_done = $2, inflight_at = $3, inflight_plan = $4, version = $5 ' +
    'WHERE export_id = $6 AND feed = $7 AND part = $8 AND generation = $9 AND version = $10',
  deleteCursors: 'DELETE FROM cursors WHERE export_id = $1 AND feed = $2',
  deleteGeneration: 'DELETE FROM cursors WHERE export_id = $1 AND feed = $2 AND generation = $3',
  // FOR UPDATE: a sender's commit on one of these rows waits for the regroup, or the regroup sees it.
  generationVersions: 'SELECT feed, part, version FROM cursors WHERE export_id = $1 AND generation = $2 FOR UPDATE',
  setInflight:
    'UPDATE cursors SET inflight_to = $1, inflight_done = $2, inflight_at = $3, inflight_plan = $4, version = $5 ' +
    'WHERE export_id = $6 AND feed = $7 AND part = $8 AND generation = $9',
  // $2 is the lane's partition (-1 for updates that come from no lane): lanes never share a counter row.
  addCounters:
    'INSERT INTO counters (export_id, part, feed, type, outcome, count) ' +
    'SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[]) ' +
    'ON CONFLICT (export_id, feed, type, outcome, part) DO UPDATE SET count = counters.count + excluded.count',
  // Per replay (generation) and outcome, one row per lane as for counters.
  addReplayCounters:
    'INSERT INTO replay_counters (export_id, generation, part, outcome, count) ' +
    'SELECT $1, $2, $3, * FROM unnest($4::text[], $5::bigint[]) ' +
    'ON CONFLICT (export_id, generation, outcome, part) DO UPDATE SET count = replay_counters.count + excluded.count',
  counters:
    'SELECT feed, type, outcome, sum(count)::bigint AS count FROM counters WHERE export_id = $1 ' +
    'GROUP BY feed, type, outcome ORDER BY feed, type, outcome',
  // Each dead letter's id and type lists travel as JSON text: unnest cannot carry arrays of different lengths.
  addDeadLetters:
    'INSERT INTO dead_letters (export_id, feed, batch, event_ids, types, status, error, created_at, attempts, ' +
    'last_attempt_at) ' +
    'SELECT d.export_id, d.feed, d.batch, ARRAY(SELECT json_array_elements_text(d.ids::json)), ' +
    'ARRAY(SELECT json_array_elements_text(d.types::json)), d.status, d.error, d.created_at, d.attempts, ' +
    'CASE WHEN d.attempts > 0 THEN d.created_at END ' +
    'FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::bigint[], ' +
    '$9::int[]) WITH ORDINALITY AS d(export_id, feed, batch, ids, types, status, error, created_at, attempts, ord) ' +
    'ORDER BY d.ord',
  addDrops:
    'INSERT INTO drops (export_id, feed, type, count, first_time, last_time, reason, dropped_at) ' +
    'SELECT d.export_id, d.feed, d.type, d.count, d.first_time, d.last_time, d.reason, d.dropped_at ' +
    'FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], ' +
    '$8::bigint[]) WITH ORDINALITY AS d(export_id, feed, type, count, first_time, last_time, reason, dropped_at, ord) ' +
    'ORDER BY d.ord',
  addDelivered:
    'INSERT INTO delivery_minutes (export_id, feed, minute, part, count) VALUES ($1, $2, $3, $4, $5) ' +
    'ON CONFLICT (export_id, minute, feed, part) DO UPDATE SET count = delivery_minutes.count + excluded.count',
  series:
    'SELECT feed, minute, sum(count)::bigint AS count FROM delivery_minutes WHERE export_id = $1 AND minute >= $2 ' +
    'GROUP BY minute, feed ORDER BY minute, feed',
  feedStates: 'SELECT feed, state FROM feed_states WHERE export_id = $1',
  putFeedState:
    'INSERT INTO feed_states (export_id, feed, state, version) VALUES ($1, $2, $3, 1) ' +
    'ON CONFLICT (export_id, feed) DO UPDATE SET state = excluded.state, version = feed_states.version + 1',
  feedState: 'SELECT state, version FROM feed_states WHERE export_id = $1 AND feed = $2',
  insertFeedState:
    'INSERT INTO feed_states (export_id, feed, state, version) VALUES ($1, $2, $3, 1) ' +
    'ON CONFLICT (export_id, feed) DO NOTHING',
  swapFeedState:
    'UPDATE feed_states SET state = $1, version = version + 1 WHERE export_id = $2 AND feed = $3 AND version = $4',
} as const;

/** Column arrays for unnest: one array per field, in the order given. */
function columnsOf<T>(rows: readonly T[], fields: readonly ((row: T) => unknown)[]): unknown[][] {
  return fields.map((f) => rows.map(f));
}

function missingExport(exportId: string): Error {
  return new Error(`there is no export with id ${exportId} (was it deleted?): stop its senders`);
}

type Client = pg.PoolClient;

/** The export's startSeq, locked against deletion until the transaction ends; throws when the export is gone. */
async function requireExport(client: Client, exportId: string): Promise<number> {
  const row = (await client.query<{ start_seq: number }>(SQL.startSeq, [exportId])).rows[0];
  if (row === undefined) throw missingExport(exportId);
  return row.start_seq;
}

function staleCursor(key: readonly [string, string, number, number]): Error {
  return new StaleCursorError(`the cursor of ${key.join('/')} was rewritten or removed since this sender read it`);
}

/** Add counter deltas; the same key twice in one call is summed first (one statement may not update a row twice). */
export async function addCounters(
  client: Client,
  exportId: string,
  deltas: readonly CounterDelta[],
  partition = -1,
): Promise<void> {
  const summed = new Map<string, CounterDelta>();
  for (const c of deltas) {
    if (c.count === 0) continue;
    const key = JSON.stringify([c.feed, c.type, c.outcome]);
    const prior = summed.get(key);
    summed.set(key, prior ? { ...prior, count: prior.count + c.count } : c);
  }
  if (summed.size === 0) return;
  const rows = [...summed.values()];
  await client.query(SQL.addCounters, [
    exportId,
    partition,
    ...columnsOf(rows, [(c) => c.feed, (c) => c.type, (c) => c.outcome, (c) => c.count]),
  ]);
}

/** What a commit of a replay's cursor adds to that replay's counts, per outcome. */
async function addReplayCounters(client: Client, p: Progress): Promise<void> {
  const byOutcome = new Map<string, number>();
  for (const c of p.counters) if (c.count !== 0) byOutcome.set(c.outcome, (byOutcome.get(c.outcome) ?? 0) + c.count);
  if (byOutcome.size === 0) return;
  await client.query(SQL.addReplayCounters, [
    p.exportId,
    p.generation,
    p.partition,
    [...byOutcome.keys()],
    [...byOutcome.values()],
  ]);
}

/** Events delivered at `at` (ms), for the per-minute chart; `partition` as for counters. */
export async function addDeliveredPoint(
  client: Client,
  exportId: string,
  feed: string,
  at: number,
  count: number,
  partition = -1,
): Promise<void> {
  if (count <= 0) return;
  const minute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  await client.query(SQL.addDelivered, [exportId, feed, minute, partition, count]);
}

type Run = (sql: string, params: unknown[]) => Promise<unknown>;

async function putCursorRows(run: Run, list: readonly Cursor[]): Promise<void> {
  if (list.length === 0) return;
  const values = columnsOf(list, [
    (c) => c.exportId,
    (c) => c.feed,
    (c) => c.partition,
    (c) => c.generation,
    (c) => c.seq,
    ...[0, 1, 2, 3, 4].map((i) => (c: Cursor) => cursorColumns(c)[i]),
    (c) => c.version ?? newCursorVersion(),
  ]);
  await run(SQL.putCursors, values);
}

async function insertDeadLetters(client: Client, list: readonly NewDeadLetter[]): Promise<void> {
  if (list.length === 0) return;
  await client.query(
    SQL.addDeadLetters,
    columnsOf(list, [
      (d) => d.exportId,
      (d) => d.feed,
      (d) => d.batch,
      (d) => JSON.stringify(d.eventIds),
      (d) => JSON.stringify(d.types),
      (d) => d.status ?? null,
      (d) => d.error,
      (d) => d.createdAt,
      (d) => d.attempts,
    ]),
  );
}

async function insertDrops(client: Client, list: readonly NewDrop[]): Promise<void> {
  if (list.length === 0) return;
  await client.query(
    SQL.addDrops,
    columnsOf(list, [
      (d) => d.exportId,
      (d) => d.feed,
      (d) => d.type,
      (d) => d.count,
      (d) => d.firstTime,
      (d) => d.lastTime,
      (d) => d.reason,
      (d) => d.droppedAt,
    ]),
  );
}

/** A cursor list keeps the last entry of each key: one upsert statement may not touch a row twice. */
function lastPerKey(list: readonly Cursor[]): Cursor[] {
  const byKey = new Map<string, Cursor>();
  for (const c of list) byKey.set(JSON.stringify([c.exportId, c.feed, c.partition, c.generation]), c);
  return [...byKey.values()];
}

export function makeDeliveryState(db: Db) {
  return {
    getCursors: async (exportId: string): Promise<Cursor[]> =>
      (await db.query<CursorRow>(SQL.cursors, [exportId])).map(toCursor),
    putCursors: (list: readonly Cursor[]): Promise<void> =>
      putCursorRows((sql, params) => db.query(sql, params), lastPerKey(list)),
    replaceCursors: (
      exportId: string,
      generation: number,
      expected: readonly { feed: string; partition: number; version: number }[],
      put: readonly Cursor[],
      removeFeeds: readonly string[],
    ): Promise<boolean> =>
      db.tx(async (client) => {
        await requireExport(client, exportId);
        const rows = (
          await client.query<{ feed: string; part: number; version: number }>(SQL.generationVersions, [
            exportId,
            generation,
          ])
        ).rows;
        if (!sameVersions(rows, expected)) return false;
        await putCursorRows((sql, params) => client.query(sql, params), lastPerKey(put));
        for (const feed of removeFeeds) await client.query(SQL.deleteGeneration, [exportId, feed, generation]);
        return true;
      }),
    deleteCursors: async (exportId: string, feed: string, generation?: number): Promise<void> => {
      if (generation === undefined) await db.query(SQL.deleteCursors, [exportId, feed]);
      else await db.query(SQL.deleteGeneration, [exportId, feed, generation]);
    },
    setInflight: (
      exportId: string,
      feed: string,
      part: number,
      generation: number,
      flight: Inflight | null,
      cas?: CursorCas,
    ) =>
      db.tx(async (client) => {
        const start = await requireExport(client, exportId);
        const columns = cursorColumns({ inflight: flight, passed: [] }).slice(0, 4);
        const key = [exportId, feed, part, generation] as const;
        if (cas !== undefined) {
          const r = await client.query(SQL.casInflight, [...columns, cas.next, ...key, cas.expect]);
          if ((r.rowCount ?? 0) === 0) throw staleCursor(key);
          return;
        }
        const updated = await client.query(SQL.setInflight, [...columns, newCursorVersion(), ...key]);
        if ((updated.rowCount ?? 0) > 0) return;
        // No cursor yet: the sender is still where a new one starts (live: the export's startSeq; a replay: the
        // beginning of the log, its time range filters the rest). Record that, so a restart re-reads from there.
        await putCursorRows(
          (sql, params) => client.query(sql, params),
          [
            {
              exportId,
              feed,
              partition: part,
              generation,
              seq: generation === 0 ? start : 0,
              inflight: flight,
              passed: [],
            },
          ],
        );
      }),
    commitProgress: (p: Progress): Promise<void> =>
      db.tx(async (client) => {
        await requireExport(client, p.exportId);
        if (p.fence) {
          // FOR SHARE: a takeover (an UPDATE of this row) waits for this commit, or this commit sees it.
          const held = await client.query(
            'SELECT 1 FROM leases WHERE export_id = $1 AND feed = $2 AND part = $3 AND owner = $4 AND expires_at > $5 FOR SHARE',
            [p.exportId, p.feed, p.partition, p.fence.owner, p.fence.now],
          );
          if (held.rowCount === 0) {
            throw new LeaseLostError(`${p.fence.owner} no longer holds ${p.exportId}/${p.feed}/${p.partition}`);
          }
        }
        const key = [p.exportId, p.feed, p.partition, p.generation] as const;
        if (p.cas !== undefined) {
          const r = await client.query(SQL.casCursor, [p.seq, ...cursorColumns(p), p.cas.next, ...key, p.cas.expect]);
          if ((r.rowCount ?? 0) === 0) throw staleCursor(key);
        } else {
          await putCursorRows(
            (sql, params) => client.query(sql, params),
            [
              {
                exportId: p.exportId,
                feed: p.feed,
                partition: p.partition,
                generation: p.generation,
                seq: p.seq,
                inflight: p.inflight,
                passed: p.passed,
              },
            ],
          );
        }
        await addCounters(client, p.exportId, p.counters, p.partition);
        if (p.generation > 0) await addReplayCounters(client, p);
        await insertDeadLetters(client, p.deadLetters);
        await insertDrops(client, p.drops);
        if (p.delivered !== null) {
          await addDeliveredPoint(client, p.exportId, p.feed, p.delivered.at, p.delivered.count, p.partition);
        }
      }),
    async getFeedStates(exportId: string): Promise<Record<string, FeedState>> {
      const out: Record<string, FeedState> = {};
      for (const r of await db.query<{ feed: string; state: string }>(SQL.feedStates, [exportId])) {
        out[r.feed] = JSON.parse(r.state) as FeedState;
      }
      return out;
    },
    putFeedState: async (exportId: string, feed: string, state: FeedState): Promise<void> =>
      void (await db.query(SQL.putFeedState, [exportId, feed, JSON.stringify(state)])),
    async getFeedState(exportId: string, feed: string): Promise<StoredFeedState | null> {
      const [r] = await db.query<{ state: string; version: number }>(SQL.feedState, [exportId, feed]);
      return r === undefined ? null : { state: JSON.parse(r.state) as FeedState, version: r.version };
    },
    async swapFeedState(exportId: string, feed: string, version: number, state: FeedState): Promise<boolean> {
      const text = JSON.stringify(state);
      const r = await db.withClient((client) =>
        version === 0
          ? client.query(SQL.insertFeedState, [exportId, feed, text])
          : client.query(SQL.swapFeedState, [text, exportId, feed, version]),
      );
      return (r.rowCount ?? 0) > 0;
    },
    getCounters: async (exportId: string): Promise<CounterRow[]> =>
      (await db.query<{ feed: string; type: string; outcome: Outcome; count: number }>(SQL.counters, [exportId])).map(
        (r) => ({ exportId, ...r }),
      ),
    // The minute containing sinceMs is included: a chart asking "since 10:30:20" wants the 10:30 bar.
    deliverySeries: (exportId: string, sinceMs: number): Promise<DeliveryPoint[]> =>
      db.query<DeliveryPoint>(SQL.series, [exportId, Math.floor(sinceMs / MINUTE_MS) * MINUTE_MS]),
  };
}
