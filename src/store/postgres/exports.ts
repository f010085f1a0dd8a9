import type { ExportRecord } from '../../types.js';
import type { Db } from './pool.js';
import { KEYED_BY_EXPORT } from '../shared.js';

const SQL = {
  insert:
    'INSERT INTO exports (id, name, created_at, start_seq, record) VALUES ($1, $2, $3, $4, $5) ' +
    'ON CONFLICT (id) DO NOTHING RETURNING id',
  get: 'SELECT record FROM exports WHERE id = $1',
  list: 'SELECT record FROM exports ORDER BY created_at, id',
  update: 'UPDATE exports SET name = $1, start_seq = $2, record = $3 WHERE id = $4 RETURNING id',
  swap:
    'UPDATE exports SET name = $1, start_seq = $2, record = $3 WHERE id = $4 ' +
    "AND (record::jsonb ->> 'updatedAt')::bigint = $5 RETURNING id",
  // The export row first: a sender's commitProgress holds it (KEY SHARE) until it commits, so this waits for it and
  // then removes what it wrote too.
  remove: 'DELETE FROM exports WHERE id = $1',
  removeKeyed: KEYED_BY_EXPORT.map((table) => `DELETE FROM ${table} WHERE export_id = $1`),
} as const;

const parse = (row: { record: string }): ExportRecord => JSON.parse(row.record) as ExportRecord;

export function makeExports(db: Db) {
  return {
    async createExport(record: ExportRecord): Promise<void> {
      const rows = await db.query(SQL.insert, [
        record.id,
        record.name,
        record.createdAt,
        record.startSeq,
        JSON.stringify(record),
      ]);
      if (rows.length === 0) {
        throw new Error(`an export with id ${record.id} already exists: choose another id, or update that export`);
      }
    },
    async getExport(id: string): Promise<ExportRecord | null> {
      const [row] = await db.query<{ record: string }>(SQL.get, [id]);
      return row === undefined ? null : parse(row);
    },
    listExports: async (): Promise<ExportRecord[]> => (await db.query<{ record: string }>(SQL.list)).map(parse),
    async updateExport(record: ExportRecord): Promise<void> {
      const rows = await db.query(SQL.update, [record.name, record.startSeq, JSON.stringify(record), record.id]);
      if (rows.length === 0) {
        throw new Error(`there is no export with id ${record.id} (was it deleted?): reload the list of exports`);
      }
    },
    async swapExport(record: ExportRecord, expectUpdatedAt: number): Promise<boolean> {
      const args = [record.name, record.startSeq, JSON.stringify(record), record.id, expectUpdatedAt];
      if ((await db.query(SQL.swap, args)).length > 0) return true;
      if ((await db.query(SQL.get, [record.id])).length === 0) {
        throw new Error(`there is no export with id ${record.id} (was it deleted?): reload the list of exports`);
      }
      return false;
    },
    deleteExport: (id: string): Promise<void> =>
      db.tx(async (client) => {
        await client.query(SQL.remove, [id]);
        for (const sql of SQL.removeKeyed) await client.query(sql, [id]);
      }),
  };
}
