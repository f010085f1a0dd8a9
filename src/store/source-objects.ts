import type { ObjectCheckpoint, SourceCursor } from '../types.js';

/** What both adapters do the same way for storage sources' checkpoints and cursors. */

export interface CheckpointRow {
  object: string;
  size: number | string;
  etag: string;
  hour: number | string | null;
  imported_at: number | string;
  events: number | string;
  error: string | null;
}

export const CHECKPOINT_COLUMNS = 'object, size, etag, hour, imported_at, events, error';

export const toCheckpoint = (r: CheckpointRow): ObjectCheckpoint => ({
  object: r.object,
  size: Number(r.size),
  etag: r.etag,
  hour: r.hour === null ? null : Number(r.hour),
  importedAt: Number(r.imported_at),
  events: Number(r.events),
  error: r.error,
});

/** Objects per statement when reading checkpoints back (a poll may list thousands). */
export const CHECKPOINT_BATCH = 500;

export const parseCursor = (text: string): SourceCursor => JSON.parse(text) as SourceCursor;
