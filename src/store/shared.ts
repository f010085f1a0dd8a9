import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Cursor, Inflight, NewQuarantine, QuarantineRecord, QuarantineSource } from '../types.js';
import { StoreConfigError } from './errors.js';

/** What both adapters do the same way: their numbered migrations, quarantine and cursor rows, export-keyed tables. */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The `NNN_what.sql` files of a folder, in order; a gap or a repeated number is refused. */
export function loadMigrationFiles(dir: URL, engine: string): Migration[] {
  const found = readdirSync(dir)
    .map((name) => ({ name, match: /^(\d+)_[\w-]+\.sql$/.exec(name) }))
    .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
    .map(({ name, match }) => ({ version: Number(match[1]), name, sql: readFileSync(new URL(name, dir), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  // A gap or a repeated number would apply the wrong schema silently on some installations.
  found.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StoreConfigError(
        `${engine} migrations are misnumbered at ${m.name}: expected ${String(i + 1).padStart(3, '0')}_*.sql; reinstall the package`,
      );
    }
  });
  return found;
}

export interface QuarantineRow {
  id: number;
  reason: string;
  source: string;
  raw: string;
  event_type: string | null;
  received_at: number;
}

export const QUARANTINE_COLUMNS = 'id, reason, source, raw, event_type, received_at';

export const toQuarantineRecord = (r: QuarantineRow): QuarantineRecord => ({
  id: r.id,
  reason: r.reason,
  source: JSON.parse(r.source) as QuarantineSource,
  raw: r.raw,
  eventType: r.event_type,
  receivedAt: r.received_at,
});

/** Records from files are fingerprinted by where they came from and what they were; HTTP input is never merged. */
export function quarantineFingerprint(q: NewQuarantine): string | null {
  if (q.source.kind !== 'file') return null;
  const { path, offset, index } = q.source;
  return createHash('sha256')
    .update(JSON.stringify([path, offset, index ?? null, q.raw]))
    .digest('base64url');
}

/** Every table keyed by export: deleting an export empties its rows in all of them, releasing its hold on the log. */
export const KEYED_BY_EXPORT = [
  'cursors',
  'feed_states',
  'counters',
  'delivery_minutes',
  'dead_letters',
  'drops',
  'export_errors',
  'replays',
  'leases',
] as const;

export interface CursorRow {
  export_id: string;
  feed: string;
  part: number;
  generation: number;
  seq: number;
  inflight_to: number | null;
  inflight_done: number;
  inflight_at: number | null;
}

/** The three in-flight columns of a cursor row (to, done, at). */
export function inflightColumns(i: Inflight | null): [number | null, number, number | null] {
  return i === null ? [null, 0, null] : [i.to, i.done, i.at];
}

export const toCursor = (r: CursorRow): Cursor => ({
  exportId: r.export_id,
  feed: r.feed,
  partition: r.part,
  generation: r.generation,
  seq: r.seq,
  inflight: r.inflight_to === null ? null : { to: r.inflight_to, done: r.inflight_done, at: r.inflight_at ?? 0 },
});
