import type Database from 'better-sqlite3';
import {
  SOURCE_LEASE,
  type NewSource,
  type SourceRecord,
  type SourceStatus,
  type SourceTotals,
  type FutureDated,
} from '../../types.js';
import { ConflictError } from '../errors.js';
import {
  goneMessage,
  parseSourceStatus,
  SourceKeys,
  sourceRecordText,
  takenMessage,
  toSourceRecord,
  toSourceTotals,
  toFutureDated,
  type FutureDatedRow,
  unknownKey,
  unknownSourceError,
  type SourceRow,
  type SourceTotalsRow,
} from '../sources.js';

const SQL = {
  keys: 'SELECT key, id FROM sources',
  insert: 'INSERT INTO sources (id, created_at, record) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
  deletedAt: 'SELECT deleted_at FROM sources WHERE id = ?',
  get: 'SELECT key, record FROM sources WHERE id = ? AND deleted_at IS NULL',
  list: 'SELECT key, record FROM sources WHERE deleted_at IS NULL ORDER BY key',
  update: 'UPDATE sources SET record = ? WHERE id = ? AND deleted_at IS NULL',
  remove: 'UPDATE sources SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL',
  // A deleted source's worker state goes with it: status, checkpoints, cursor, and its poll lease.
  removeStatus: 'DELETE FROM source_status WHERE key = (SELECT key FROM sources WHERE id = ?)',
  removeObjects: 'DELETE FROM source_objects WHERE key = (SELECT key FROM sources WHERE id = ?)',
  removeCursor: 'DELETE FROM source_cursors WHERE key = (SELECT key FROM sources WHERE id = ?)',
  removeLease: `DELETE FROM leases WHERE export_id = '${SOURCE_LEASE}' AND feed = ?`,
  totals: 'SELECT key, events, last_received_at, newest_event_time FROM source_totals ORDER BY key',
  futureDated: 'SELECT key, type, events, newest_event_time, last_received_at FROM future_dated ORDER BY key, type',
  getStatus:
    'SELECT st.status FROM source_status st JOIN sources s ON s.key = st.key WHERE s.id = ? AND s.deleted_at IS NULL',
  putStatus:
    'INSERT INTO source_status (key, status) SELECT key, ? FROM sources WHERE id = ? AND deleted_at IS NULL ' +
    'ON CONFLICT (key) DO UPDATE SET status = excluded.status',
} as const;

/** The id <-> key map of this connection, loaded again when it meets a source another connection created. */
export interface SqliteSourceKeys {
  /** The key of each id (appends); throws when a source was never created. */
  keyOf(id: string): number;
  /** The id of a logged key (reads). */
  idOf(key: number): string;
  /** The keys of these ids (read filters). */
  keysOf(ids: readonly string[]): number[];
}

export function makeSourceKeys(db: Database.Database): SqliteSourceKeys & { add(key: number, id: string): void } {
  const load = db.prepare(SQL.keys);
  const keys = new SourceKeys();
  const reload = () => keys.fill(load.all() as { key: number; id: string }[]);
  reload();
  return {
    keyOf(id) {
      let key = keys.keyOf(id);
      if (key === undefined) {
        reload();
        key = keys.keyOf(id);
      }
      if (key === undefined) throw unknownSourceError(id);
      return key;
    },
    idOf(key) {
      let id = keys.idOf(key);
      if (id === undefined) {
        reload();
        id = keys.idOf(key);
      }
      return id ?? unknownKey(key);
    },
    keysOf(ids) {
      if (keys.unknownIds(ids).length > 0) reload();
      return keys.keysOf(ids);
    },
    add: (key, id) => keys.fill([{ key, id }]),
  };
}

export function makeSources(db: Database.Database, keys: ReturnType<typeof makeSourceKeys>) {
  const insert = db.prepare(SQL.insert);
  const deletedAt = db.prepare(SQL.deletedAt).pluck();
  const get = db.prepare(SQL.get);
  const list = db.prepare(SQL.list);
  const update = db.prepare(SQL.update);
  const remove = db.prepare(SQL.remove);
  const removeStatus = db.prepare(SQL.removeStatus);
  const removeObjects = db.prepare(SQL.removeObjects);
  const removeCursor = db.prepare(SQL.removeCursor);
  const removeLease = db.prepare(SQL.removeLease);
  const totals = db.prepare(SQL.totals);
  const futureDated = db.prepare(SQL.futureDated);
  const getStatus = db.prepare(SQL.getStatus).pluck();
  const putStatus = db.prepare(SQL.putStatus);

  const removeAll = db.transaction((id: string, at: number) => {
    const changes = remove.run(at, id).changes;
    if (changes === 0) return 0;
    removeStatus.run(id);
    removeObjects.run(id);
    removeCursor.run(id);
    removeLease.run(id);
    return changes;
  });

  return {
    createSource(source: NewSource): SourceRecord {
      const { changes, lastInsertRowid } = insert.run(source.id, source.createdAt, sourceRecordText(source));
      if (changes === 0) {
        throw new ConflictError(takenMessage(source.id, deletedAt.get(source.id) !== null));
      }
      const key = Number(lastInsertRowid);
      keys.add(key, source.id);
      return { ...source, key };
    },
    getSource(id: string): SourceRecord | null {
      const row = get.get(id) as SourceRow | undefined;
      return row === undefined ? null : toSourceRecord(row);
    },
    listSources: (): SourceRecord[] => (list.all() as SourceRow[]).map(toSourceRecord),
    updateSource(record: SourceRecord): void {
      if (update.run(sourceRecordText(record), record.id).changes === 0) throw new Error(goneMessage(record.id));
    },
    deleteSource(id: string, at: number): void {
      if (removeAll.immediate(id, at) === 0) throw new Error(goneMessage(id));
    },
    sourceTotals: (): SourceTotals[] =>
      (totals.all() as SourceTotalsRow[]).map((r) => toSourceTotals(r, (key) => keys.idOf(key))),
    futureDated: (): FutureDated[] =>
      (futureDated.all() as FutureDatedRow[]).map((r) => toFutureDated(r, (key) => keys.idOf(key))),
    getSourceStatus(id: string): SourceStatus | null {
      const text = getStatus.get(id) as string | undefined;
      return text === undefined ? null : parseSourceStatus(text);
    },
    putSourceStatus(id: string, status: SourceStatus): void {
      if (putStatus.run(JSON.stringify(status), id).changes === 0) throw new Error(goneMessage(id));
    },
  };
}
