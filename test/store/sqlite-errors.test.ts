import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreConfigError, StoreUnavailableError } from '../../src/store/errors.js';
import { fromSqlite } from '../../src/store/sqlite/errors.js';
import { loadMigrations, migrate } from '../../src/store/sqlite/migrate.js';

const sqliteError = (code: string): Error => Object.assign(new Error(`sqlite said ${code}`), { code });

describe('SQLite errors', () => {
  it.each([
    'SQLITE_FULL',
    'SQLITE_IOERR_WRITE',
    'SQLITE_BUSY',
    'SQLITE_LOCKED',
    'SQLITE_CANTOPEN',
    'SQLITE_READONLY_DBMOVED',
  ])('%s makes the store unavailable, keeping the cause', (code) => {
    const original = sqliteError(code);
    const e = fromSqlite(original, '/data/currents.db');
    expect(e).toBeInstanceOf(StoreUnavailableError);
    expect(e.cause).toBe(original);
    expect(e.message).toContain(code);
    expect(e.message).toContain('/data/currents.db');
  });

  it('passes other failures through as errors', () => {
    const constraint = sqliteError('SQLITE_CONSTRAINT_NOTNULL');
    expect(fromSqlite(constraint, 'x')).toBe(constraint);
    expect(fromSqlite('plain text', 'x')).toBeInstanceOf(Error);
    expect(fromSqlite('plain text', 'x')).not.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('SQLite migrations', () => {
  async function withDir<T>(files: Record<string, string>, run: (dir: URL) => T): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'currents-migrations-'));
    try {
      for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
      return run(pathToFileURL(`${dir}/`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('ship as numbered files from 001 up', async () => {
    const shipped = await readdir(new URL('../../src/store/sqlite/migrations/', import.meta.url));
    expect(shipped).toContain('001_init.sql');
    expect(loadMigrations().map((m) => m.version)).toEqual(shipped.map((_, i) => i + 1));
  });

  it('apply in order, each once', async () => {
    await withDir(
      { '002_b.sql': 'ALTER TABLE t ADD COLUMN b TEXT;', '001_a.sql': 'CREATE TABLE t (a TEXT);', 'README.md': '' },
      (dir) => {
        const db = new Database(':memory:');
        const migrations = loadMigrations(dir);
        expect(migrate(db, migrations.slice(0, 1))).toEqual([1]);
        expect(migrate(db, migrations)).toEqual([2]);
        expect(migrate(db, migrations)).toEqual([]);
        expect(db.prepare('SELECT a, b FROM t').all()).toEqual([]);
        db.close();
      },
    );
  });

  it('refuse a gap in the numbering', async () => {
    await withDir({ '001_a.sql': 'SELECT 1;', '003_c.sql': 'SELECT 1;' }, (dir) => {
      expect(() => loadMigrations(dir)).toThrow(StoreConfigError);
    });
  });

  it('leave no trace of a migration that fails', async () => {
    await withDir({ '001_a.sql': 'CREATE TABLE t (a TEXT); INSERT INTO missing VALUES (1);' }, (dir) => {
      const db = new Database(':memory:');
      expect(() => migrate(db, loadMigrations(dir))).toThrow(/missing/);
      expect(db.pragma('user_version', { simple: true })).toBe(0);
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
      db.close();
    });
  });
});
