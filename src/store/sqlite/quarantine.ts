import type Database from 'better-sqlite3';
import type { NewQuarantine, QuarantineRecord } from '../../types.js';
import type { QuarantineQuery } from '../port.js';
import { QUARANTINE_COLUMNS, quarantineFingerprint, toQuarantineRecord, type QuarantineRow } from '../shared.js';

const COLUMNS = QUARANTINE_COLUMNS;
const SQL = {
  insert:
    'INSERT INTO quarantine (reason, source, raw, event_type, received_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?) ' +
    'ON CONFLICT DO NOTHING',
  list: `SELECT ${COLUMNS} FROM quarantine WHERE id > ? ORDER BY id LIMIT ?`,
  get: `SELECT ${COLUMNS} FROM quarantine WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
  remove: 'DELETE FROM quarantine WHERE id IN (SELECT value FROM json_each(?))',
  reason: 'UPDATE quarantine SET reason = ? WHERE id = ?',
  count: 'SELECT count(*) FROM quarantine',
} as const;

export function makeQuarantine(db: Database.Database) {
  const insert = db.prepare(SQL.insert);
  const list = db.prepare(SQL.list);
  const get = db.prepare(SQL.get);
  const remove = db.prepare(SQL.remove);
  const reason = db.prepare(SQL.reason);
  const count = db.prepare(SQL.count).pluck();

  const addAll = db.transaction((records: readonly NewQuarantine[]) => {
    for (const q of records) {
      insert.run(
        q.reason,
        JSON.stringify(q.source),
        q.raw,
        q.eventType ?? null,
        q.receivedAt,
        quarantineFingerprint(q),
      );
    }
  });

  return {
    addQuarantine: (records: readonly NewQuarantine[]): void => addAll.immediate(records),
    listQuarantine: (q: QuarantineQuery): QuarantineRecord[] =>
      (list.all(q.afterId ?? 0, Math.max(0, q.limit)) as QuarantineRow[]).map(toQuarantineRecord),
    getQuarantine: (ids: readonly number[]): QuarantineRecord[] =>
      (get.all(JSON.stringify(ids)) as QuarantineRow[]).map(toQuarantineRecord),
    deleteQuarantine: (ids: readonly number[]): void => void remove.run(JSON.stringify(ids)),
    updateQuarantineReason: (id: number, text: string): void => void reason.run(text, id),
    countQuarantine: (): number => count.get() as number,
  };
}
