import type Database from 'better-sqlite3';
import { StoreConfigError } from '../errors.js';
import { loadMigrationFiles, type Migration } from '../shared.js';

/** Migrations ship beside this module (copied into dist/ by the build), numbered `NNN_what.sql`. */
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export type { Migration };

export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  return loadMigrationFiles(dir, 'SQLite');
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
