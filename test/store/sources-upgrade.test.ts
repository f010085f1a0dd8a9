import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { loadMigrations as pgMigrations, migrate as pgMigrate } from '../../src/store/postgres/migrate.js';
import { openDb } from '../../src/store/postgres/pool.js';
import { fingerprint } from '../../src/store/sqlite/fingerprints.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { loadMigrations as sqliteMigrations, migrate as sqliteMigrate } from '../../src/store/sqlite/migrate.js';
import { readAll } from './contract/fixtures.js';
import { dropSchema, freshSchema, pgUnavailable, TEST_DATABASE_URL } from './postgres-helper.js';

/**
 * A store written before sources existed opens with every event it holds under the built-in source `default`, that
 * source's totals counted from the log, and pushes going on as before.
 */

const rows = [
  ['e-1', 1_760_000_001, 1_000],
  ['e-2', 1_760_000_003, 2_000],
  ['e-3', 1_760_000_002, 3_000],
] as const;
const payload = (id: string, time: number) => JSON.stringify({ event_type: 'users.messages.email.Send', id, time });

describe('a SQLite store from before sources', () => {
  it('files its events under `default` and counts them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'currents-upgrade-'));
    const path = join(dir, 'currents.db');
    try {
      const db = new Database(path);
      db.function('currents_fingerprint', { deterministic: true }, (id) => fingerprint(String(id)));
      // Every migration before the one that added sources (SQLite records only the last one applied).
      const sourcesAt = sqliteMigrations().find((m) => m.name.endsWith('_sources.sql'))!.version;
      const before = sqliteMigrations().filter((m) => m.version < sourcesAt);
      expect(before).toHaveLength(sourcesAt - 1);
      sqliteMigrate(db, before);
      const insert = db.prepare(
        'INSERT INTO event_log (event_id, type, part, event_time, received_at, payload) VALUES (?, ?, 0, ?, ?, ?)',
      );
      for (const [id, time, at] of rows) {
        const { lastInsertRowid } = insert.run(id, 'users.messages.email.Send', time, at, payload(id, time));
        db.prepare('INSERT INTO event_fingerprints (seq, fp) VALUES (?, ?)').run(lastInsertRowid, fingerprint(id));
      }
      db.prepare('UPDATE log_totals SET events = 3 WHERE id = 1').run();
      db.close();

      const store = await openSqliteStore({ path });
      try {
        const { rows: read } = await readAll(store, { partition: 0 });
        expect(read.map((r) => [r.eventId, r.source])).toEqual(rows.map(([id]) => [id, 'default']));
        // The newest event time is the last logged event's: the log is not scanned at upgrade.
        expect(await store.sourceTotals()).toEqual([
          { source: 'default', events: 3, lastReceivedAt: 3_000, newestEventTime: 1_760_000_002 },
        ]);
        expect((await store.listSources()).map((s) => s.id)).toEqual(['default']);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(pgUnavailable !== null)('a PostgreSQL store from before sources', () => {
  it('files its events under `default`, counts them, and numbers new sources from 2', async () => {
    const schema = freshSchema();
    const logger = pino({ level: 'silent' });
    try {
      // The first opening makes the log and its first chunk; then the schema is taken back to before sources.
      const db = openDb({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2, logger });
      try {
        await pgMigrate(
          db,
          pgMigrations().filter((m) => !m.name.endsWith('_sources.sql') && !m.name.includes('source_objects')),
        );
        await db.query('CREATE TABLE event_log_p0 PARTITION OF event_log FOR VALUES FROM (0) TO (1000)');
        await db.query("INSERT INTO log_partitions (lo, hi, name) VALUES (0, 1000, 'event_log_p0')");
        let seq = 1;
        for (const [id, time, at] of rows) {
          await db.query(
            'INSERT INTO event_log (seq, event_id, type, part, event_time, received_at, payload) VALUES ($1, $2, $3, 0, $4, $5, $6)',
            [seq++, id, 'users.messages.email.Send', time, at, payload(id, time)],
          );
        }
        await db.query('UPDATE log_partitions SET events = 3, min_received = 1000, max_received = 3000');
        await db.query('UPDATE log_state SET next_seq = 4, head_seq = 3');
      } finally {
        await db.end();
      }

      const store = await openPostgresStore({
        connectionString: TEST_DATABASE_URL,
        schema,
        logger,
        partitionSize: 1000,
      });
      try {
        const { rows: read } = await readAll(store, { partition: 0 });
        expect(read.map((r) => [r.eventId, r.source])).toEqual(rows.map(([id]) => [id, 'default']));
        expect(await store.sourceTotals()).toEqual([
          { source: 'default', events: 3, lastReceivedAt: 3_000, newestEventTime: 1_760_000_002 },
        ]);
        const created = await store.createSource({
          id: 'brand-b',
          name: 'Brand B',
          state: 'active',
          tokenHash: null,
          config: { kind: 'http' },
          createdAt: 1,
          updatedAt: 1,
        });
        expect(created.key).toBe(2);
      } finally {
        await store.close();
      }
    } finally {
      await dropSchema(schema);
    }
  });
});
