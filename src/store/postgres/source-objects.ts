import type { ObjectCheckpoint, SourceCursor } from '../../types.js';
import {
  CHECKPOINT_BATCH,
  CHECKPOINT_COLUMNS,
  parseCursor,
  toCheckpoint,
  type CheckpointRow,
} from '../source-objects.js';
import { goneMessage } from '../sources.js';
import type { Db } from './pool.js';

const LIVE_KEY = 'SELECT key FROM sources WHERE id = $1 AND deleted_at IS NULL';
const SQL = {
  get: `SELECT ${CHECKPOINT_COLUMNS} FROM source_objects ` + `WHERE key = (${LIVE_KEY}) AND object = ANY($2::text[])`,
  // One statement for the whole array; a source deleted meanwhile inserts nothing (RETURNING tells).
  put:
    `INSERT INTO source_objects (key, ${CHECKPOINT_COLUMNS}) ` +
    `SELECT s.key, c.object, c.size, c.etag, c.hour, c.imported_at, c.events, c.error ` +
    'FROM sources s, unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[]) ' +
    'AS c(object, size, etag, hour, imported_at, events, error) ' +
    'WHERE s.id = $1 AND s.deleted_at IS NULL ' +
    'ON CONFLICT (key, object) DO UPDATE SET size = excluded.size, etag = excluded.etag, hour = excluded.hour, ' +
    'imported_at = excluded.imported_at, events = excluded.events, error = excluded.error RETURNING key',
  prune:
    `WITH gone AS (DELETE FROM source_objects WHERE key = (${LIVE_KEY}) AND hour < $2 RETURNING 1) ` +
    'SELECT count(*)::int AS n FROM gone',
  getCursor: `SELECT cursor FROM source_cursors WHERE key = (${LIVE_KEY})`,
  putCursor:
    'INSERT INTO source_cursors (key, cursor) SELECT key, $2 FROM sources WHERE id = $1 AND deleted_at IS NULL ' +
    'ON CONFLICT (key) DO UPDATE SET cursor = excluded.cursor RETURNING key',
  live: LIVE_KEY,
} as const;

/** Storage sources' checkpoints (one row per object read) and cursors. */
export function makeSourceObjects(db: Db) {
  return {
    async getObjectCheckpoints(id: string, objects: readonly string[]): Promise<ObjectCheckpoint[]> {
      const found: ObjectCheckpoint[] = [];
      for (let i = 0; i < objects.length; i += CHECKPOINT_BATCH) {
        const rows = await db.query<CheckpointRow>(SQL.get, [id, objects.slice(i, i + CHECKPOINT_BATCH)]);
        found.push(...rows.map(toCheckpoint));
      }
      return found;
    },
    async putObjectCheckpoints(id: string, checkpoints: readonly ObjectCheckpoint[]): Promise<void> {
      if (checkpoints.length === 0) {
        if ((await db.query(SQL.live, [id])).length === 0) throw new Error(goneMessage(id));
        return;
      }
      // The same object twice in one statement would update its row twice, which PostgreSQL refuses: the last wins.
      const byObject = new Map(checkpoints.map((c) => [c.object, c]));
      const list = [...byObject.values()];
      const rows = await db.query(SQL.put, [
        id,
        list.map((c) => c.object),
        list.map((c) => c.size),
        list.map((c) => c.etag),
        list.map((c) => c.hour),
        list.map((c) => c.importedAt),
        list.map((c) => c.events),
        list.map((c) => c.error),
      ]);
      if (rows.length === 0) throw new Error(goneMessage(id));
    },
    async pruneObjectCheckpoints(id: string, beforeHour: number): Promise<number> {
      const [row] = await db.query<{ n: number }>(SQL.prune, [id, beforeHour]);
      return row?.n ?? 0;
    },
    async getSourceCursor(id: string): Promise<SourceCursor | null> {
      const [row] = await db.query<{ cursor: string }>(SQL.getCursor, [id]);
      return row === undefined ? null : parseCursor(row.cursor);
    },
    async putSourceCursor(id: string, cursor: SourceCursor): Promise<void> {
      const rows = await db.query(SQL.putCursor, [id, JSON.stringify(cursor)]);
      if (rows.length === 0) throw new Error(goneMessage(id));
    },
  };
}
