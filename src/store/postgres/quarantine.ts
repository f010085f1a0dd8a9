import type { NewQuarantine, QuarantineRecord } from '../../types.js';
import type { QuarantineQuery } from '../port.js';
import type { Db } from './pool.js';
import { QUARANTINE_COLUMNS, quarantineFingerprint, toQuarantineRecord, type QuarantineRow } from '../shared.js';

const COLUMNS = QUARANTINE_COLUMNS;
const SQL = {
  // In input order, so ids follow it; a file record already kept (same fingerprint) is skipped.
  insert:
    'INSERT INTO quarantine (reason, source, raw, event_type, received_at, fingerprint) ' +
    'SELECT q.reason, q.source, q.raw, q.event_type, q.received_at, q.fingerprint ' +
    'FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) ' +
    'WITH ORDINALITY AS q(reason, source, raw, event_type, received_at, fingerprint, ord) ORDER BY q.ord ' +
    'ON CONFLICT (fingerprint) WHERE fingerprint IS NOT NULL DO NOTHING',
  list: `SELECT ${COLUMNS} FROM quarantine WHERE id > $1 ORDER BY id LIMIT $2`,
  get: `SELECT ${COLUMNS} FROM quarantine WHERE id = ANY($1::bigint[]) ORDER BY id`,
  remove: 'DELETE FROM quarantine WHERE id = ANY($1::bigint[])',
  reason: 'UPDATE quarantine SET reason = $1 WHERE id = $2',
  count: 'SELECT count(*) AS n FROM quarantine',
} as const;

export function makeQuarantine(db: Db) {
  return {
    async addQuarantine(records: readonly NewQuarantine[]): Promise<void> {
      if (records.length === 0) return;
      await db.query(SQL.insert, [
        records.map((q) => q.reason),
        records.map((q) => JSON.stringify(q.source)),
        records.map((q) => q.raw),
        records.map((q) => q.eventType ?? null),
        records.map((q) => q.receivedAt),
        records.map(quarantineFingerprint),
      ]);
    },
    listQuarantine: async (q: QuarantineQuery): Promise<QuarantineRecord[]> =>
      (await db.query<QuarantineRow>(SQL.list, [q.afterId ?? 0, Math.max(0, q.limit)])).map(toQuarantineRecord),
    getQuarantine: async (ids: readonly number[]): Promise<QuarantineRecord[]> =>
      (await db.query<QuarantineRow>(SQL.get, [ids])).map(toQuarantineRecord),
    deleteQuarantine: async (ids: readonly number[]): Promise<void> => void (await db.query(SQL.remove, [ids])),
    updateQuarantineReason: async (id: number, text: string): Promise<void> =>
      void (await db.query(SQL.reason, [text, id])),
    countQuarantine: async (): Promise<number> => (await db.query<{ n: number }>(SQL.count))[0]!.n,
  };
}
