import { afterEach, describe, expect, it } from 'vitest';
import { StoreConfigError } from '../../src/store/errors.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { loadMigrations } from '../../src/store/postgres/migrate.js';
import { events } from './contract/fixtures.js';
import { admin, dropSchema, freshSchema, memoryLogger, pgUnavailable, TEST_DATABASE_URL } from './postgres-helper.js';

describe.skipIf(pgUnavailable !== null)('postgres store: migrations', () => {
  const schemas: string[] = [];
  afterEach(async () => {
    for (const s of schemas.splice(0)) await dropSchema(s);
  });
  const newSchema = (): string => {
    const s = freshSchema();
    schemas.push(s);
    return s;
  };

  it('ten processes opening a new schema together apply each migration once', async () => {
    const schema = newSchema();
    const logs = Array.from({ length: 10 }, () => memoryLogger());
    const stores = await Promise.all(
      logs.map(({ logger }) =>
        openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger, poolSize: 2, partitionSize: 100 }),
      ),
    );
    try {
      const versions = loadMigrations().map((m) => m.version);
      const applied = logs.flatMap((l) => l.lines.filter((line) => line.msg === 'applied PostgreSQL migrations'));
      expect(applied).toHaveLength(1);
      expect(applied[0]!.applied).toEqual(versions);
      const recorded = await admin<{ version: number }>(
        `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
      );
      expect(recorded.map((r) => r.version)).toEqual(versions);
      // One log, one first partition, whoever created them.
      expect(await admin(`SELECT lo, hi FROM ${schema}.log_partitions`)).toEqual([{ lo: '1', hi: '101' }]);
      await Promise.all(stores.map((s) => s.append(events(5))));
      expect((await stores[0]!.stats()).events).toBe(50);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('creates its tables in its own schema only, and applies nothing when reopened', async () => {
    const schema = newSchema();
    const { logger, lines } = memoryLogger();
    const first = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger });
    await first.setMeta('partitions', '16');
    await first.close();
    const again = await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger });
    try {
      expect(await again.getMeta('partitions')).toBe('16');
    } finally {
      await again.close();
    }
    expect(lines.filter((l) => l.msg === 'applied PostgreSQL migrations')).toHaveLength(1);
    const tables = await admin<{ n: string }>(
      "SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename IN ('event_log', 'exports', 'meta')",
      [schema],
    );
    expect(tables[0]!.n).toBe('3');
  });

  it('refuses a schema written by a newer version, saying what to do', async () => {
    const schema = newSchema();
    const { logger } = memoryLogger();
    await (await openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger })).close();
    await admin(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES (99, '099_future.sql')`);
    const opening = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema, logger });
    await expect(opening).rejects.toBeInstanceOf(StoreConfigError);
    await expect(opening).rejects.toThrow(/newer version.*upgrade/);
  });

  it('refuses a schema name that would need quoting', async () => {
    const { logger } = memoryLogger();
    await expect(
      openPostgresStore({ connectionString: TEST_DATABASE_URL, schema: 'Bad; DROP', logger }),
    ).rejects.toThrow(StoreConfigError);
  });
});
