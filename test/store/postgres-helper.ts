import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import pino, { type Logger } from 'pino';
import type { Store } from '../../src/store/port.js';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/index.js';
import { describeTarget } from '../../src/store/postgres/pool.js';

/**
 * PostgreSQL for tests: the server named by CURRENTS_TEST_DATABASE_URL, or the local one with trust auth. Each test
 * works in a schema of its own, dropped afterwards, so tests (and test files running in parallel) never meet.
 */
export const TEST_DATABASE_URL = process.env.CURRENTS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message || e.name : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const failure = await probe();
/** Why the PostgreSQL tests cannot run here, or null when a server answers. */
export const pgUnavailable: string | null = failure;
if (failure !== null) {
  console.warn(
    `PostgreSQL tests skipped: no server answered at ${describeTarget(TEST_DATABASE_URL)} (${failure}). To run them, start ` +
      'PostgreSQL there, or set CURRENTS_TEST_DATABASE_URL=postgres://user:password@host:port/database ' +
      '(the user needs to create schemas).',
  );
}

/** A new, unused schema name. */
export const freshSchema = (): string => `currents_t_${randomBytes(6).toString('hex')}`;

/** Run statements on a short-lived connection of its own (outside any store's pool). */
export async function admin<R extends pg.QueryResultRow = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export const dropSchema = (schema: string): Promise<unknown> => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);

/** A pino logger that keeps its records in memory (`lines`), for tests that check what was logged. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as never);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export interface TestStore {
  store: Store;
  schema: string;
  cleanup: () => Promise<void>;
}

/** A store on a fresh schema (or the one given); cleanup closes it and drops the schema. */
export async function openTestStore(options: Partial<PostgresStoreOptions> = {}): Promise<TestStore> {
  const schema = options.schema ?? freshSchema();
  const store = await openPostgresStore({
    connectionString: TEST_DATABASE_URL,
    logger: pino({ level: 'silent' }),
    poolSize: 4,
    ...options,
    schema,
  });
  return {
    store,
    schema,
    cleanup: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}
