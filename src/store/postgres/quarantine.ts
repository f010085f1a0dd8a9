import { createHash } from 'node:crypto';
import type { NewQuarantine, QuarantineRecord, QuarantineSource } from '../../types.js';
import type { QuarantineQuery } from '../port.js';
import type { Db } from './pool.js';

const COLUMNS = 'id, reason, source, raw, event_type, received_at';
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
        records.map(fingerprintOf),
      ]);
    },
    listQuarantine: async (q: QuarantineQuery): Promise<QuarantineRecord[]> =>
      (await db.query<Row>(SQL.list, [q.afterId ?? 0, Math.max(0, q.limit)])).map(toRecord),
    getQuarantine: async (ids: readonly number[]): Promise<QuarantineRecord[]> =>
      (await db.query<Row>(SQL.get, [ids])).map(toRecord),
    deleteQuarantine: async (ids: readonly number[]): Promise<void> => void (await db.query(SQL.remove, [ids])),
    updateQuarantineReason: async (id: number, text: string): Promise<void> =>
      void (await db.query(SQL.reason, [text, id])),
    countQuarantine: async (): Promise<number> => (await db.query<{ n: number }>(SQL.count))[0]!.n,
  };
}
