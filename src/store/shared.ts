import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { NewQuarantine, QuarantineRecord, QuarantineSource } from '../types.js';
import { StoreConfigError } from './errors.js';

/** What both adapters do the same way: reading their numbered migrations, and quarantine rows. */

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
