import type { NewQuarantine, QuarantineRecord } from '../../types.js';
import type { QuarantineCounts, QuarantineQuery } from '../port.js';
import type { Db } from './pool.js';
import { QUARANTINE_COLUMNS, quarantineFingerprint, toQuarantineRecord, type QuarantineRow } from '../shared.js';

const COLUMNS = QUARANTINE_COLUMNS;
const SQL = {
  // In input order, so ids follow it; a file record already kept (same fingerprint) is skipped.
  insert:
    'INSERT INTO quarantine (reason, source, raw, event_type, received_at, fingerprint, validator) ' +
    'SELECT q.reason, q.source, q.raw, q.event_type, q.received_at, q.fingerprint, q.validator ' +
    'FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[]) ' +
    'WITH ORDINALITY AS q(reason, source, raw, event_type, received_at, fingerprint, validator, ord) ORDER BY q.ord ' +
    'ON CONFLICT (fingerprint) WHERE fingerprint IS NOT NULL DO NOTHING',
  list: `SELECT ${COLUMNS} FROM quarantine WHERE id > $1 AND dismissed_at IS NULL ORDER BY id LIMIT $2`,
  listDismissed: `SELECT ${COLUMNS} FROM quarantine WHERE id > $1 AND dismissed_at IS NOT NULL ORDER BY id LIMIT $2`,
  get: `SELECT ${COLUMNS} FROM quarantine WHERE id = ANY($1::bigint[]) ORDER BY id`,
  remove: 'DELETE FROM quarantine WHERE id = ANY($1::bigint[])',
  reason: 'UPDATE quarantine SET reason = $1, validator = coalesce($3, validator) WHERE id = $2',
  count: 'SELECT count(*) AS n FROM quarantine WHERE dismissed_at IS NULL',
  counts:
    'SELECT count(*) FILTER (WHERE dismissed_at IS NULL) AS open, ' +
    'count(*) FILTER (WHERE dismissed_at IS NOT NULL) AS dismissed, ' +
    'count(*) FILTER (WHERE dismissed_at IS NULL AND (validator IS NULL OR validator <> $1)) AS other FROM quarantine',
  dismiss:
    'UPDATE quarantine SET dismissed_at = $1, dismissed_note = $2 ' +
    'WHERE id = ANY($3::bigint[]) AND dismissed_at IS NULL RETURNING id',
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
        records.map((q) => q.validator ?? null),
      ]);
    },
    listQuarantine: async (q: QuarantineQuery): Promise<QuarantineRecord[]> =>
      (
        await db.query<QuarantineRow>(q.dismissed === true ? SQL.listDismissed : SQL.list, [
          q.afterId ?? 0,
          Math.max(0, q.limit),
        ])
      ).map(toQuarantineRecord),
    getQuarantine: async (ids: readonly number[]): Promise<QuarantineRecord[]> =>
      (await db.query<QuarantineRow>(SQL.get, [ids])).map(toQuarantineRecord),
    deleteQuarantine: async (ids: readonly number[]): Promise<void> => void (await db.query(SQL.remove, [ids])),
    updateQuarantineReason: async (id: number, text: string, validator?: string): Promise<void> =>
      void (await db.query(SQL.reason, [text, id, validator ?? null])),
    countQuarantine: async (): Promise<number> => (await db.query<{ n: number }>(SQL.count))[0]!.n,
    async quarantineCounts(validator: string): Promise<QuarantineCounts> {
      const [r] = await db.query<{ open: number; dismissed: number; other: number }>(SQL.counts, [validator]);
      return { open: Number(r!.open), dismissed: Number(r!.dismissed), refusedByOther: Number(r!.other) };
    },
    dismissQuarantine: async (ids: readonly number[], at: number, note: string): Promise<number[]> =>
      (await db.query<{ id: number }>(SQL.dismiss, [at, note, ids])).map((r) => Number(r.id)).sort((a, b) => a - b),
  };
}
