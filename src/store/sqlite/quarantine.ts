import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { NewQuarantine, QuarantineRecord, QuarantineSource } from '../../types.js';
import type { QuarantineQuery } from '../port.js';

const COLUMNS = 'id, reason, source, raw, event_type, received_at';
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

interface Row {
  id: number;
  reason: string;
  source: string;
  raw: string;
  event_type: string | null;
  received_at: number;
}

const toRecord = (r: Row): QuarantineRecord => ({
  id: r.id,
  reason: r.reason,
  source: JSON.parse(r.source) as QuarantineSource,
  raw: r.raw,
  eventType: r.event_type,
  receivedAt: r.received_at,
});

/** Records from files are fingerprinted by where they came from and what they were; HTTP input is never merged. */
function fingerprintOf(q: NewQuarantine): string | null {
  if (q.source.kind !== 'file') return null;
  const { path, offset, index } = q.source;
  return createHash('sha256')
    .update(JSON.stringify([path, offset, index ?? null, q.raw]))
    .digest('base64url');
}

export function makeQuarantine(db: Database.Database) {
  const insert = db.prepare(SQL.insert);
  const list = db.prepare(SQL.list);
  const get = db.prepare(SQL.get);
  const remove = db.prepare(SQL.remove);
  const reason = db.prepare(SQL.reason);
  const count = db.prepare(SQL.count).pluck();

  const addAll = db.transaction((records: readonly NewQuarantine[]) => {
    for (const q of records) {
      insert.run(q.reason, JSON.stringify(q.source), q.raw, q.eventType ?? null, q.receivedAt, fingerprintOf(q));
    }
  });

  return {
    addQuarantine: (records: readonly NewQuarantine[]): void => addAll.immediate(records),
    listQuarantine: (q: QuarantineQuery): QuarantineRecord[] =>
      (list.all(q.afterId ?? 0, Math.max(0, q.limit)) as Row[]).map(toRecord),
    getQuarantine: (ids: readonly number[]): QuarantineRecord[] =>
      (get.all(JSON.stringify(ids)) as Row[]).map(toRecord),
    deleteQuarantine: (ids: readonly number[]): void => void remove.run(JSON.stringify(ids)),
    updateQuarantineReason: (id: number, text: string): void => void reason.run(text, id),
    countQuarantine: (): number => count.get() as number,
  };
}
