import type Database from 'better-sqlite3';
import { computeHolds, type Holds } from '../shared.js';

/** Rows looked at (and at most deleted) per transaction, so an append waits for at most one chunk. */
export const RETENTION_CHUNK = 10_000;
/** Per-minute delivery points are kept this long. */
export const DELIVERY_POINTS_KEPT_MS = 7 * 24 * 3600 * 1000;
/** Errors kept per export (the port promises at least 200). */
export const ERRORS_KEPT = 200;

const SQL = {
  exportStarts: "SELECT id, json_extract(record, '$.startSeq') AS start_seq FROM exports",
  // Live cursors (generation 0) of exports that still exist: the lowest per export and partition. Retired cursors
  // ('~feed': what a removed feed had done) hold nothing.
  liveHolds:
    'SELECT c.export_id AS export_id, c.part AS part, min(c.seq) AS hold FROM cursors c ' +
    'JOIN exports e ON e.id = c.export_id ' +
    "WHERE c.generation = 0 AND c.feed NOT LIKE '~%' " +
    'GROUP BY c.export_id, c.part',
  // A replay holds only while unfinished and short of its end: past uptoSeq it needs nothing more.
  replayHolds:
    'SELECT c.part AS part, min(c.seq) AS hold FROM cursors c ' +
    'JOIN replays r ON r.export_id = c.export_id AND r.generation = c.generation ' +
    'JOIN exports e ON e.id = c.export_id ' +
    "WHERE c.generation > 0 AND c.feed NOT LIKE '~%' AND r.finished_at IS NULL AND c.seq < r.upto_seq " +
    'GROUP BY c.part',
  // Walks old rows in index order, resuming after the last key seen: held rows are passed once per run, not per chunk.
  scan:
    'SELECT seq, part, received_at FROM event_log INDEXED BY event_log_received ' +
    'WHERE received_at < ? AND (received_at, part, seq) > (?, ?, ?) ORDER BY received_at, part, seq LIMIT ?',
  remove:
    'DELETE FROM event_log WHERE seq IN (SELECT value FROM json_each(?)) RETURNING octet_length(payload) AS bytes',
  removeFingerprints: 'DELETE FROM event_fingerprints WHERE seq IN (SELECT value FROM json_each(?)) RETURNING seq, fp',
  subtractTotals: 'UPDATE log_totals SET events = events - ?, bytes = max(0, bytes - ?) WHERE id = 1',
  pruneMinutes: 'DELETE FROM delivery_minutes WHERE minute < ?',
  pruneErrors:
    'DELETE FROM export_errors WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER ' +
    '(PARTITION BY export_id ORDER BY at DESC, id DESC) AS rn FROM export_errors) WHERE rn > ?)',
} as const;

type Key = [receivedAt: number, part: number, seq: number];

type Removed = { seq: number; fp: number }[];

/**
 * `onRemoved` hears of the rows removed, after each chunk commits (the appender forgets their fingerprints).
 * `stopping` is asked between chunks: a store being closed ends the pass early; the next pass resumes the work.
 */
export function makeRetention(
  db: Database.Database,
  onRemoved: (rows: Removed) => void,
  stopping: () => boolean,
): (olderThanMs: number) => Promise<number> {
  const exportStarts = db.prepare(SQL.exportStarts);
  const liveHolds = db.prepare(SQL.liveHolds);
  const replayHolds = db.prepare(SQL.replayHolds);
  const scan = db.prepare(SQL.scan);
  const remove = db.prepare(SQL.remove).pluck();
  const removeFingerprints = db.prepare(SQL.removeFingerprints);
  const subtractTotals = db.prepare(SQL.subtractTotals);
  const pruneMinutes = db.prepare(SQL.pruneMinutes);
  const pruneErrors = db.prepare(SQL.pruneErrors);

  const holds = (): Holds =>
    computeHolds(
      exportStarts.all() as { id: string; start_seq: number | null }[],
      liveHolds.all() as { export_id: string; part: number; hold: number }[],
      replayHolds.all() as { part: number; hold: number }[],
    );

  // One chunk: returns the rows removed and where the next chunk resumes (null when the scan is done).
  const chunk = db.transaction((olderThanMs: number, after: Key): { removed: Removed; next: Key | null } => {
    const h = holds();
    const rows = scan.all(olderThanMs, ...after, RETENTION_CHUNK) as {
      seq: number;
      part: number;
      received_at: number;
    }[];
    const doomed = rows.filter((r) => r.seq <= (h.byPartition.get(r.part) ?? h.other)).map((r) => r.seq);
    let removed: Removed = [];
    if (doomed.length > 0) {
      const list = JSON.stringify(doomed);
      const sizes = remove.all(list) as number[];
      subtractTotals.run(
        sizes.length,
        sizes.reduce((a, b) => a + b, 0),
      );
      removed = removeFingerprints.all(list) as Removed;
    }
    const last = rows[rows.length - 1];
    const next: Key | null = rows.length < RETENTION_CHUNK || !last ? null : [last.received_at, last.part, last.seq];
    return { removed, next };
  });

  const housekeeping = db.transaction((now: number) => {
    pruneMinutes.run(now - DELIVERY_POINTS_KEPT_MS);
    pruneErrors.run(ERRORS_KEPT);
  });

  return async (olderThanMs) => {
    let removed = 0;
    let after: Key | null = [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    while (after !== null) {
      const step: { removed: Removed; next: Key | null } = chunk.immediate(olderThanMs, after);
      removed += step.removed.length;
      onRemoved(step.removed);
      after = step.next;
      // Let queued appends commit between chunks.
      if (after !== null) await new Promise<void>((resolve) => setImmediate(resolve));
      if (stopping()) return removed;
    }
    housekeeping.immediate(Date.now());
    return removed;
  };
}
