import type Database from 'better-sqlite3';
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
import { CURSOR_COLUMNS, cursorColumns, newCursorVersion, sameVersions, toCursor, type CursorRow } from '../shared.js';

const MINUTE_MS = 60_000;

const SQL = {
  startSeq: "SELECT json_extract(record, '$.startSeq') AS start_seq FROM exports WHERE id = ?",
  cursors: `SELECT ${CURSOR_COLUMNS} FROM cursors WHERE export_id = ? ORDER BY feed, part, generation`,
  putCursor:
    `INSERT INTO cursors (${CURSOR_COLUMNS}) ` +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (export_id, feed, part, generation) DO UPDATE SET ' +
    'seq = excluded.seq, inflight_to = excluded.inflight_to, inflight_done = excluded.inflight_done, ' +
    'inflight_at = excluded.inflight_at, inflight_plan = excluded.inflight_plan, passed = excluded.passed, ' +
    'version = excluded.version',
  // A sender's write, over the version of the row it knows.
  casCursor:
    'UPDATE cursors SET seq = ?, inflight_to = ?, inflight_done = ?, inflight_at = ?, inflight_plan = ?, passed = ?, ' +
    'version = ? WHERE export_id = ? AND feed = ? AND part = ? AND generation = ? AND version = ?',
  casInflight:
    'UPDATE cursors SET inflight_to = ?, inflight_done = ?, inflight_at = ?, inflight_plan = ?, version = ? ' +
    'WHERE export_id = ? AND feed = ? AND part = ? AND generation = ? AND version = ?',
  deleteCursors: 'DELETE FROM cursors WHERE export_id = ? AND feed = ?',
  deleteGeneration: 'DELETE FROM cursors WHERE export_id = ? AND feed = ? AND generation = ?',
  generationVersions: 'SELECT feed, part, version FROM cursors WHERE export_id = ? AND generation = ?',
  setInflight:
    'UPDATE cursors SET inflight_to = ?, inflight_done = ?, inflight_at = ?, inflight_plan = ?, version = ? ' +
    'WHERE export_id = ? AND feed = ? AND part = ? AND generation = ?',
  addCounter:
    'INSERT INTO counters (export_id, feed, type, outcome, count) VALUES (?, ?, ?, ?, ?) ' +
    'ON CONFLICT (export_id, feed, type, outcome) DO UPDATE SET count = count + excluded.count',
  counters: 'SELECT feed, type, outcome, count FROM counters WHERE export_id = ? ORDER BY feed, type, outcome',
  addReplayCounter:
    'INSERT INTO replay_counters (export_id, generation, outcome, count) VALUES (?, ?, ?, ?) ' +
    'ON CONFLICT (export_id, generation, outcome) DO UPDATE SET count = count + excluded.count',
  addDeadLetter:
    'INSERT INTO dead_letters (export_id, feed, batch, event_ids, types, status, error, created_at, attempts, ' +
    'last_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  addDrop:
    'INSERT INTO drops (export_id, feed, type, count, first_time, last_time, reason, dropped_at) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  addDelivered:
    'INSERT INTO delivery_minutes (export_id, feed, minute, count) VALUES (?, ?, ?, ?) ' +
    'ON CONFLICT (export_id, minute, feed) DO UPDATE SET count = count + excluded.count',
  series: 'SELECT feed, minute, count FROM delivery_minutes WHERE export_id = ? AND minute >= ? ORDER BY minute, feed',
  feedStates: 'SELECT feed, state FROM feed_states WHERE export_id = ?',
  holdsLease: 'SELECT 1 FROM leases WHERE export_id = ? AND feed = ? AND part = ? AND owner = ? AND expires_at > ?',
  putFeedState:
    'INSERT INTO feed_states (export_id, feed, state, version) VALUES (?, ?, ?, 1) ' +
    'ON CONFLICT (export_id, feed) DO UPDATE SET state = excluded.state, version = feed_states.version + 1',
  feedState: 'SELECT state, version FROM feed_states WHERE export_id = ? AND feed = ?',
  insertFeedState:
    'INSERT INTO feed_states (export_id, feed, state, version) VALUES (?, ?, ?, 1) ON CONFLICT (export_id, feed) DO NOTHING',
  swapFeedState:
    'UPDATE feed_states SET state = ?, version = version + 1 WHERE export_id = ? AND feed = ? AND version = ?',
} as const;

function staleCursor(exportId: string, feed: string, part: number, generation: number): Error {
  return new StaleCursorError(
    `the cursor of ${exportId}/${feed}/${part}/${generation} was rewritten or removed since this sender read it`,
  );
}

function missingExport(exportId: string): Error {
  return new Error(`there is no export with id ${exportId} (was it deleted?): stop its senders`);
}

export function makeDeliveryState(db: Database.Database) {
  const startSeq = db.prepare(SQL.startSeq).pluck();
  const casCursor = db.prepare(SQL.casCursor);
  const casInflight = db.prepare(SQL.casInflight);
  const cursors = db.prepare(SQL.cursors);
  const putCursor = db.prepare(SQL.putCursor);
  const deleteCursors = db.prepare(SQL.deleteCursors);
  const deleteGeneration = db.prepare(SQL.deleteGeneration);
  const generationVersions = db.prepare(SQL.generationVersions);
  const setInflight = db.prepare(SQL.setInflight);
  const addCounter = db.prepare(SQL.addCounter);
  const addReplayCounter = db.prepare(SQL.addReplayCounter);
  const counters = db.prepare(SQL.counters);
  const addDeadLetter = db.prepare(SQL.addDeadLetter);
  const addDrop = db.prepare(SQL.addDrop);
  const addDelivered = db.prepare(SQL.addDelivered);
  const series = db.prepare(SQL.series);
  const feedStates = db.prepare(SQL.feedStates);
  const holdsLease = db.prepare(SQL.holdsLease).pluck();
  const putFeedState = db.prepare(SQL.putFeedState);
  const feedState = db.prepare(SQL.feedState);
  const insertFeedState = db.prepare(SQL.insertFeedState);
  const swapFeedState = db.prepare(SQL.swapFeedState);

  /** The export's startSeq; throws when the export is gone, so a late sender cannot recreate its rows. */
  const requireExport = (exportId: string): number => {
    const start = startSeq.get(exportId) as number | null | undefined;
    if (start === undefined) throw missingExport(exportId);
    return start ?? 0;
  };

  const addCounters = (exportId: string, deltas: readonly CounterDelta[]): void => {
    for (const c of deltas) if (c.count !== 0) addCounter.run(exportId, c.feed, c.type, c.outcome, c.count);
  };

  const insertDeadLetter = (d: NewDeadLetter): void => {
    addDeadLetter.run(
      d.exportId,
      d.feed,
      d.batch,
      JSON.stringify(d.eventIds),
      JSON.stringify(d.types),
      d.status ?? null,
      d.error,
      d.createdAt,
      d.attempts,
      d.attempts > 0 ? d.createdAt : null,
    );
  };
  const insertDrop = (d: NewDrop): void => {
    addDrop.run(d.exportId, d.feed, d.type, d.count, d.firstTime, d.lastTime, d.reason, d.droppedAt);
  };

  const putAll = db.transaction((list: readonly Cursor[]) => {
    for (const c of list) {
      putCursor.run(
        c.exportId,
        c.feed,
        c.partition,
        c.generation,
        c.seq,
        ...cursorColumns(c),
        c.version ?? newCursorVersion(),
      );
    }
  });

  const replace = db.transaction(
    (
      exportId: string,
      generation: number,
      expected: readonly { feed: string; partition: number; version: number }[],
      put: readonly Cursor[],
      removeFeeds: readonly string[],
    ): boolean => {
      const rows = generationVersions.all(exportId, generation) as { feed: string; part: number; version: number }[];
      if (!sameVersions(rows, expected)) return false;
      putAll(put);
      for (const feed of removeFeeds) deleteGeneration.run(exportId, feed, generation);
      return true;
    },
  );

  const inflight = db.transaction(
    (exportId: string, feed: string, part: number, generation: number, flight: Inflight | null, cas?: CursorCas) => {
      const start = requireExport(exportId);
      const columns = cursorColumns({ inflight: flight, passed: [] });
      if (cas !== undefined) {
        const key = [exportId, feed, part, generation] as const;
        if (casInflight.run(...columns.slice(0, 4), cas.next, ...key, cas.expect).changes === 0) {
          throw staleCursor(...key);
        }
        return;
      }
      const version = newCursorVersion();
      if (setInflight.run(...columns.slice(0, 4), version, exportId, feed, part, generation).changes > 0) return;
      // No cursor yet: the sender is still where a new one starts (live: the export's startSeq; a replay: the
      // beginning of the log, its time range filters the rest). Record that, so a restart re-reads from there.
      putCursor.run(exportId, feed, part, generation, generation === 0 ? start : 0, ...columns, version);
    },
  );

  const commit = db.transaction((p: Progress) => {
    requireExport(p.exportId);
    if (p.fence && holdsLease.get(p.exportId, p.feed, p.partition, p.fence.owner, p.fence.now) === undefined) {
      throw new LeaseLostError(`${p.fence.owner} no longer holds ${p.exportId}/${p.feed}/${p.partition}`);
    }
    const key = [p.exportId, p.feed, p.partition, p.generation] as const;
    if (p.cas === undefined) putCursor.run(...key, p.seq, ...cursorColumns(p), newCursorVersion());
    else if (casCursor.run(p.seq, ...cursorColumns(p), p.cas.next, ...key, p.cas.expect).changes === 0) {
      throw staleCursor(...key);
    }
    addCounters(p.exportId, p.counters);
    if (p.generation > 0) {
      for (const c of p.counters) if (c.count !== 0) addReplayCounter.run(p.exportId, p.generation, c.outcome, c.count);
    }
    for (const d of p.deadLetters) insertDeadLetter(d);
    for (const d of p.drops) insertDrop(d);
    if (p.delivered !== null) addDeliveredPoint(p.exportId, p.feed, p.delivered.at, p.delivered.count);
  });

  /** Events delivered at `at` (ms), for the per-minute chart. */
  const addDeliveredPoint = (exportId: string, feed: string, at: number, count: number): void => {
    if (count > 0) addDelivered.run(exportId, feed, Math.floor(at / MINUTE_MS) * MINUTE_MS, count);
  };

  return {
    addCounters,
    addDeliveredPoint,
    getCursors: (exportId: string): Cursor[] => (cursors.all(exportId) as CursorRow[]).map(toCursor),
    putCursors: (list: readonly Cursor[]): void => putAll.immediate(list),
    replaceCursors: (
      exportId: string,
      generation: number,
      expected: readonly { feed: string; partition: number; version: number }[],
      put: readonly Cursor[],
      removeFeeds: readonly string[],
    ): boolean => replace.immediate(exportId, generation, expected, put, removeFeeds),
    deleteCursors: (exportId: string, feed: string, generation?: number): void =>
      void (generation === undefined
        ? deleteCursors.run(exportId, feed)
        : deleteGeneration.run(exportId, feed, generation)),
    setInflight: (
      exportId: string,
      feed: string,
      part: number,
      generation: number,
      flight: Inflight | null,
      cas?: CursorCas,
    ): void => inflight.immediate(exportId, feed, part, generation, flight, cas),
    commitProgress: (p: Progress): void => commit.immediate(p),
    getFeedStates(exportId: string): Record<string, FeedState> {
      const out: Record<string, FeedState> = {};
      for (const r of feedStates.all(exportId) as { feed: string; state: string }[]) {
        out[r.feed] = JSON.parse(r.state) as FeedState;
      }
      return out;
    },
    putFeedState: (exportId: string, feed: string, state: FeedState): void =>
      void putFeedState.run(exportId, feed, JSON.stringify(state)),
    getFeedState(exportId: string, feed: string): StoredFeedState | null {
      const r = feedState.get(exportId, feed) as { state: string; version: number } | undefined;
      return r === undefined ? null : { state: JSON.parse(r.state) as FeedState, version: r.version };
    },
    swapFeedState(exportId: string, feed: string, version: number, state: FeedState): boolean {
      const text = JSON.stringify(state);
      const r =
        version === 0 ? insertFeedState.run(exportId, feed, text) : swapFeedState.run(text, exportId, feed, version);
      return r.changes > 0;
    },
    getCounters: (exportId: string): CounterRow[] =>
      (counters.all(exportId) as { feed: string; type: string; outcome: Outcome; count: number }[]).map((r) => ({
        exportId,
        ...r,
      })),
    // The minute containing sinceMs is included: a chart asking "since 10:30:20" wants the 10:30 bar.
    deliverySeries: (exportId: string, sinceMs: number): DeliveryPoint[] =>
      series.all(exportId, Math.floor(sinceMs / MINUTE_MS) * MINUTE_MS) as DeliveryPoint[],
  };
}
