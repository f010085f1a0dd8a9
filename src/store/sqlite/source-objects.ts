import type Database from 'better-sqlite3';
import type { ObjectCheckpoint, SourceCursor } from '../../types.js';
import {
  CHECKPOINT_BATCH,
  CHECKPOINT_COLUMNS,
  parseCursor,
  toCheckpoint,
  type CheckpointRow,
} from '../source-objects.js';
import { goneMessage } from '../sources.js';

const LIVE_KEY = 'SELECT key FROM sources WHERE id = ? AND deleted_at IS NULL';
const SQL = {
  liveKey: LIVE_KEY,
  get:
    `SELECT ${CHECKPOINT_COLUMNS} FROM source_objects ` +
    `WHERE key = (${LIVE_KEY}) AND object IN (SELECT value FROM json_each(?))`,
  put:
    `INSERT INTO source_objects (key, ${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ` +
    'ON CONFLICT (key, object) DO UPDATE SET size = excluded.size, etag = excluded.etag, hour = excluded.hour, ' +
    'imported_at = excluded.imported_at, events = excluded.events, error = excluded.error',
  prune: `DELETE FROM source_objects WHERE key = (${LIVE_KEY}) AND hour < ?`,
  getCursor: `SELECT cursor FROM source_cursors WHERE key = (${LIVE_KEY})`,
  putCursor:
    'INSERT INTO source_cursors (key, cursor) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET cursor = excluded.cursor',
} as const;

/** Storage sources' checkpoints (one row per object read) and cursors. */
export function makeSourceObjects(db: Database.Database) {
  const liveKey = db.prepare(SQL.liveKey).pluck();
  const get = db.prepare(SQL.get);
  const put = db.prepare(SQL.put);
  const prune = db.prepare(SQL.prune);
  const getCursor = db.prepare(SQL.getCursor).pluck();
  const putCursor = db.prepare(SQL.putCursor);

  const keyOf = (id: string): number => {
    const key = liveKey.get(id) as number | undefined;
    if (key === undefined) throw new Error(goneMessage(id));
    return key;
  };
  const putAll = db.transaction((id: string, checkpoints: readonly ObjectCheckpoint[]) => {
    const key = keyOf(id);
    for (const c of checkpoints) {
      put.run(key, c.object, c.size, c.etag, c.hour, c.importedAt, c.events, c.error);
    }
  });

  return {
    getObjectCheckpoints(id: string, objects: readonly string[]): ObjectCheckpoint[] {
      const found: ObjectCheckpoint[] = [];
      for (let i = 0; i < objects.length; i += CHECKPOINT_BATCH) {
        const batch = JSON.stringify(objects.slice(i, i + CHECKPOINT_BATCH));
        found.push(...(get.all(id, batch) as CheckpointRow[]).map(toCheckpoint));
      }
      return found;
    },
    putObjectCheckpoints(id: string, checkpoints: readonly ObjectCheckpoint[]): void {
      putAll.immediate(id, checkpoints);
    },
    pruneObjectCheckpoints: (id: string, beforeHour: number): number => prune.run(id, beforeHour).changes,
    getSourceCursor(id: string): SourceCursor | null {
      const text = getCursor.get(id) as string | undefined;
      return text === undefined ? null : parseCursor(text);
    },
    putSourceCursor(id: string, cursor: SourceCursor): void {
      putCursor.run(keyOf(id), JSON.stringify(cursor));
    },
  };
}
