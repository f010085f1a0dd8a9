import type Database from 'better-sqlite3';
import type { NewQuarantine, QuarantineRecord } from '../../types.js';
import type { QuarantineCounts, QuarantineQuery } from '../port.js';
import { QUARANTINE_COLUMNS, quarantineFingerprint, toQuarantineRecord, type QuarantineRow } from '../shared.js';

const COLUMNS = QUARANTINE_COLUMNS;
const SQL = {
  insert:
    'INSERT INTO quarantine (reason, source, raw, event_type, received_at, fingerprint, validator) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  list: `SELECT ${COLUMNS} FROM quarantine WHERE id > ? AND dismissed_at IS NULL ORDER BY id LIMIT ?`,
  listDismissed: `SELECT ${COLUMNS} FROM quarantine WHERE id > ? AND dismissed_at IS NOT NULL ORDER BY id LIMIT ?`,
  get: `SELECT ${COLUMNS} FROM quarantine WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
  remove: 'DELETE FROM quarantine WHERE id IN (SELECT value FROM json_each(?))',
  reason: 'UPDATE quarantine SET reason = ?, validator = coalesce(?, validator) WHERE id = ?',
  count: 'SELECT count(*) FROM quarantine WHERE dismissed_at IS NULL',
  counts:
    'SELECT count(*) FILTER (WHERE dismissed_at IS NULL) AS open, ' +
    'count(*) FILTER (WHERE dismissed_at IS NOT NULL) AS dismissed, ' +
    'count(*) FILTER (WHERE dismissed_at IS NULL AND (validator IS NULL OR validator <> ?)) AS other FROM quarantine',
  dismiss:
    'UPDATE quarantine SET dismissed_at = ?, dismissed_note = ? ' +
    'WHERE id IN (SELECT value FROM json_each(?)) AND dismissed_at IS NULL RETURNING id',
} as const;

export function makeQuarantine(db: Database.Database) {
  const insert = db.prepare(SQL.insert);
  const list = db.prepare(SQL.list);
  const get = db.prepare(SQL.get);
  const remove = db.prepare(SQL.remove);
  const reason = db.prepare(SQL.reason);
  const count = db.prepare(SQL.count).pluck();
  const listDismissed = db.prepare(SQL.listDismissed);
  const counts = db.prepare(SQL.counts);
  const dismiss = db.prepare(SQL.dismiss).pluck();

  const addAll = db.transaction((records: readonly NewQuarantine[]) => {
    for (const q of records) {
      insert.run(
        q.reason,
        JSON.stringify(q.source),
        q.raw,
        q.eventType ?? null,
        q.receivedAt,
        quarantineFingerprint(q),
        q.validator ?? null,
      );
    }
  });

  return {
    addQuarantine: (records: readonly NewQuarantine[]): void => addAll.immediate(records),
    listQuarantine: (q: QuarantineQuery): QuarantineRecord[] =>
      ((q.dismissed === true ? listDismissed : list).all(q.afterId ?? 0, Math.max(0, q.limit)) as QuarantineRow[]).map(
        toQuarantineRecord,
      ),
    getQuarantine: (ids: readonly number[]): QuarantineRecord[] =>
      (get.all(JSON.stringify(ids)) as QuarantineRow[]).map(toQuarantineRecord),
    deleteQuarantine: (ids: readonly number[]): void => void remove.run(JSON.stringify(ids)),
    updateQuarantineReason: (id: number, text: string, validator?: string): void =>
      void reason.run(text, validator ?? null, id),
    countQuarantine: (): number => count.get() as number,
    quarantineCounts: (validator: string): QuarantineCounts => {
      const r = counts.get(validator) as { open: number; dismissed: number; other: number };
      return { open: r.open, dismissed: r.dismissed, refusedByOther: r.other };
    },
    dismissQuarantine: (ids: readonly number[], at: number, note: string): number[] =>
      (dismiss.all(at, note, JSON.stringify(ids)) as number[]).sort((a, b) => a - b),
  };
}
