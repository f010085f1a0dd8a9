import { readdirSync, readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { StoreConfigError } from '../errors.js';

/** Migrations ship beside this module (copied into dist/ by the build), numbered `NNN_what.sql`. */
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  const found = readdirSync(dir)
    .map((name) => ({ name, match: /^(\d+)_[\w-]+\.sql$/.exec(name) }))
    .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
    .map(({ name, match }) => ({
      version: Number(match[1]),
      name,
      sql: readFileSync(new URL(name, dir), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  // A gap or a repeated number would apply the wrong schema silently on some installations.
  found.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StoreConfigError(
        `SQLite migrations are misnumbered at ${m.name}: expected ${String(i + 1).padStart(3, '0')}_*.sql; reinstall the package`,
      );
    }
  });
  return found;
}

/**
 * Apply, in order and each in its own transaction, the migrations newer than the database's `user_version`, which
 * records the last one applied. Returns the versions applied now.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = loadMigrations()): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new StoreConfigError(
      `the database was written by a newer version of currents-mparticle (schema ${current}, this one knows ${latest}): upgrade this installation or point it at another data folder`,
    );
  }
  const applied: number[] = [];
  for (const m of migrations.filter((m) => m.version > current)) {
    db.transaction(() => {
      db.exec(m.sql);
      // user_version lives in the database header, which the transaction covers: a crash keeps both or neither.
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
