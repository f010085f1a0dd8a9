import type Database from 'better-sqlite3';
import type { ExportRecord } from '../../types.js';
import { KEYED_BY_EXPORT } from '../shared.js';

const SQL = {
  insert: 'INSERT INTO exports (id, name, created_at, record) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
  get: 'SELECT record FROM exports WHERE id = ?',
  list: 'SELECT record FROM exports ORDER BY created_at, id',
  update: 'UPDATE exports SET name = ?, record = ? WHERE id = ?',
  swap: "UPDATE exports SET name = ?, record = ? WHERE id = ? AND json_extract(record, '$.updatedAt') = ?",
  remove: 'DELETE FROM exports WHERE id = ?',
  removeKeyed: KEYED_BY_EXPORT.map((table) => `DELETE FROM ${table} WHERE export_id = ?`),
} as const;

const parse = (record: string): ExportRecord => JSON.parse(record) as ExportRecord;

export function makeExports(db: Database.Database) {
  const insert = db.prepare(SQL.insert);
  const get = db.prepare(SQL.get).pluck();
  const list = db.prepare(SQL.list).pluck();
  const update = db.prepare(SQL.update);
  const swap = db.prepare(SQL.swap);
  const remove = db.prepare(SQL.remove);
  const removeKeyed = SQL.removeKeyed.map((sql) => db.prepare(sql));

  const removeAll = db.transaction((id: string) => {
    for (const s of removeKeyed) s.run(id);
    remove.run(id);
  });

  return {
    createExport(record: ExportRecord): void {
      const { changes } = insert.run(record.id, record.name, record.createdAt, JSON.stringify(record));
      if (changes === 0) {
        throw new Error(`an export with id ${record.id} already exists: choose another id, or update that export`);
      }
    },
    getExport(id: string): ExportRecord | null {
      const record = get.get(id) as string | undefined;
      return record === undefined ? null : parse(record);
    },
    listExports: (): ExportRecord[] => (list.all() as string[]).map(parse),
    updateExport(record: ExportRecord): void {
      const { changes } = update.run(record.name, JSON.stringify(record), record.id);
      if (changes === 0) {
        throw new Error(`there is no export with id ${record.id} (was it deleted?): reload the list of exports`);
      }
    },
    swapExport(record: ExportRecord, expectUpdatedAt: number): boolean {
      if (swap.run(record.name, JSON.stringify(record), record.id, expectUpdatedAt).changes > 0) return true;
      if (get.get(record.id) === undefined) {
        throw new Error(`there is no export with id ${record.id} (was it deleted?): reload the list of exports`);
      }
      return false;
    },
    deleteExport: (id: string): void => removeAll.immediate(id),
  };
}
