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
import type { Db } from './pool.js';

const SQL = {
  keys: 'SELECT key, id FROM sources',
  insert: 'INSERT INTO sources (id, created_at, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING key',
  deletedAt: 'SELECT deleted_at FROM sources WHERE id = $1',
  get: 'SELECT key, record FROM sources WHERE id = $1 AND deleted_at IS NULL',
  list: 'SELECT key, record FROM sources WHERE deleted_at IS NULL ORDER BY key',
  update: 'UPDATE sources SET record = $1 WHERE id = $2 AND deleted_at IS NULL RETURNING key',
  remove: 'UPDATE sources SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL RETURNING key',
  // A deleted source's worker state goes with it: status, checkpoints, cursor, and its poll lease.
  removeStatus: 'DELETE FROM source_status WHERE key = $1',
  removeObjects: 'DELETE FROM source_objects WHERE key = $1',
  removeCursor: 'DELETE FROM source_cursors WHERE key = $1',
  removeLease: `DELETE FROM leases WHERE export_id = '${SOURCE_LEASE}' AND feed = $1`,
  totals: 'SELECT key, events, last_received_at, newest_event_time FROM source_totals ORDER BY key',
  futureDated: 'SELECT key, type, events, newest_event_time, last_received_at FROM future_dated ORDER BY key, type',
  getStatus:
    'SELECT st.status FROM source_status st JOIN sources s ON s.key = st.key WHERE s.id = $1 AND s.deleted_at IS NULL',
  putStatus:
    'INSERT INTO source_status (key, status) SELECT key, $1 FROM sources WHERE id = $2 AND deleted_at IS NULL ' +
    'ON CONFLICT (key) DO UPDATE SET status = excluded.status RETURNING key',
} as const;

/** The id <-> key map of this process, loaded again when it meets a source another process created. */
export interface PgSourceKeys {
  /** Load the map (at open, so that appends of known sources never wait for it). */
  load(): Promise<void>;
  /** Whether every one of these ids is known without loading. */
  knows(ids: Iterable<string>): boolean;
  /** The key of each id (appends); throws when a source was never created. */
  keysFor(ids: readonly string[]): Promise<Map<string, number>>;
  /** The keys of these ids (read filters); ids never created match nothing. */
  keysOf(ids: readonly string[]): Promise<number[]>;
  /** A function naming the keys of these rows, loaded first when one is new to this process. */
  namer(keys: Iterable<number>): Promise<(key: number) => string>;
  add(key: number, id: string): void;
}

export function makeSourceKeys(db: Db): PgSourceKeys {
  const keys = new SourceKeys();
  let loading: Promise<void> | null = null;
  // Callers that miss together share one load.
  const reload = (): Promise<void> =>
    (loading ??= db
      .query<{ key: number; id: string }>(SQL.keys)
      .then((rows) => keys.fill(rows))
      .finally(() => {
        loading = null;
      }));
  const name = (key: number): string => keys.idOf(key) ?? unknownKey(key);
  return {
    load: reload,
    knows: (ids) => keys.unknownIds(ids).length === 0,
    async keysFor(ids) {
      if (keys.unknownIds(ids).length > 0) await reload();
      const found = new Map<string, number>();
      for (const id of ids) {
        const key = keys.keyOf(id);
        if (key === undefined) throw unknownSourceError(id);
        found.set(id, key);
      }
      return found;
    },
    async keysOf(ids) {
      if (keys.unknownIds(ids).length > 0) await reload();
      return keys.keysOf(ids);
    },
    async namer(seen) {
      for (const key of seen) {
        if (keys.idOf(key) === undefined) {
          await reload();
          break;
        }
      }
      return name;
    },
    add: (key, id) => keys.fill([{ key, id }]),
  };
}

export function makeSources(db: Db, keys: PgSourceKeys) {
  return {
    async createSource(source: NewSource): Promise<SourceRecord> {
      const [row] = await db.query<{ key: number }>(SQL.insert, [
        source.id,
        source.createdAt,
        sourceRecordText(source),
      ]);
      if (row === undefined) {
        const [taken] = await db.query<{ deleted_at: number | null }>(SQL.deletedAt, [source.id]);
        throw new ConflictError(takenMessage(source.id, taken !== undefined && taken.deleted_at !== null));
      }
      keys.add(row.key, source.id);
      return { ...source, key: row.key };
    },
    async getSource(id: string): Promise<SourceRecord | null> {
      const [row] = await db.query<SourceRow>(SQL.get, [id]);
      return row === undefined ? null : toSourceRecord(row);
    },
    listSources: async (): Promise<SourceRecord[]> => (await db.query<SourceRow>(SQL.list)).map(toSourceRecord),
    async updateSource(record: SourceRecord): Promise<void> {
      const rows = await db.query(SQL.update, [sourceRecordText(record), record.id]);
      if (rows.length === 0) throw new Error(goneMessage(record.id));
    },
    deleteSource: (id: string, at: number): Promise<void> =>
      db.tx(async (client) => {
        const { rows } = await client.query<{ key: number }>(SQL.remove, [at, id]);
        if (rows.length === 0) throw new Error(goneMessage(id));
        const key = rows[0]!.key;
        await client.query(SQL.removeStatus, [key]);
        await client.query(SQL.removeObjects, [key]);
        await client.query(SQL.removeCursor, [key]);
        await client.query(SQL.removeLease, [id]);
      }),
    async futureDated(): Promise<FutureDated[]> {
      const rows = await db.query<FutureDatedRow>(SQL.futureDated);
      const sourceOf = await keys.namer(rows.map((r) => Number(r.key)));
      return rows.map((r) => toFutureDated(r, sourceOf));
    },
    async sourceTotals(): Promise<SourceTotals[]> {
      const rows = await db.query<SourceTotalsRow>(SQL.totals);
      const sourceOf = await keys.namer(rows.map((r) => r.key));
      return rows.map((r) => toSourceTotals(r, sourceOf));
    },
    async getSourceStatus(id: string): Promise<SourceStatus | null> {
      const [row] = await db.query<{ status: string }>(SQL.getStatus, [id]);
      return row === undefined ? null : parseSourceStatus(row.status);
    },
    async putSourceStatus(id: string, status: SourceStatus): Promise<void> {
      const rows = await db.query(SQL.putStatus, [JSON.stringify(status), id]);
      if (rows.length === 0) throw new Error(goneMessage(id));
    },
  };
}
