import { StoreConfigError } from '../errors.js';
import { loadMigrationFiles, type Migration } from '../shared.js';
import type { Db } from './pool.js';

/** Migrations ship beside this module (copied into dist/ by the build), numbered `NNN_what.sql`. */
const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

export type { Migration };

export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  return loadMigrationFiles(dir, 'PostgreSQL');
}

const SQL = {
  table:
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, ' +
    'applied_at timestamptz NOT NULL DEFAULT now())',
  applied: 'SELECT version FROM schema_migrations ORDER BY version',
  record: 'INSERT INTO schema_migrations (version, name) VALUES ($1, $2)',
} as const;

/**
 * Create the schema when missing and apply, in order and each in its own transaction with its record in
 * `schema_migrations`, the migrations not applied yet. A session advisory lock makes processes that start together
 * take turns: the first applies, the others then find nothing left to do. Returns the versions applied by this call.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = loadMigrations()): Promise<number[]> {
  return db.withClient(async (client) => {
    await client.query(`SELECT pg_advisory_lock(${db.lockKeys('migrate')})`);
    try {
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the schema
      // exists, which a user confined to an existing schema does not have.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [db.schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
      // Only when missing: an up-to-date store then opens without writing, e.g. on a server that turned read-only,
      // and reports that through ping() and 503s instead of failing to start.
      const table = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
      if (table.rows[0]!.t === null) await client.query(SQL.table);
      const done = new Set((await client.query<{ version: number }>(SQL.applied)).rows.map((r) => Number(r.version)));
      const newest = Math.max(0, ...done);
      if (newest > migrations.length) {
        throw new StoreConfigError(
          `the database schema ${db.schema} was written by a newer version of currents-mparticle (migration ${newest}, this one knows ${migrations.length}): upgrade this installation or use another schema`,
        );
      }
      const applied: number[] = [];
      for (const m of migrations.filter((m) => !done.has(m.version))) {
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(SQL.record, [m.version, m.name]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      // A lost connection releases the lock on the server by itself.
      await client.query(`SELECT pg_advisory_unlock(${db.lockKeys('migrate')})`).catch(() => undefined);
    }
  });
}
