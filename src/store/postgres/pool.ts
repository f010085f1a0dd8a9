import pg from 'pg';
import type { Logger } from 'pino';
import { StoreConfigError, toError } from '../errors.js';
import { isConnectionLoss } from './errors.js';

/** Lowercase identifiers only, so the schema needs no quoting in search_path, DDL or messages. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const INT8_OID = 20;
/** Seqs, counts and ms timestamps are bigint columns; every value we store stays below 2^53, so a Number is exact. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Advisory lock purposes. Advisory locks are database-wide, so the second key is a hash of the schema: stores in
 * different schemas (one per test, or per installation) never wait for each other.
 */
export const LOCK = { migrate: 0x4355_0001, append: 0x4355_0002, partitions: 0x4355_0003, retention: 0x4355_0004 };
export type LockPurpose = keyof typeof LOCK;

export interface Db {
  readonly schema: string;
  /** host:port/database, never the password: safe in messages and logs. */
  readonly where: string;
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A pooled connection for several statements; a connection lost meanwhile is closed, not reused. */
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** BEGIN, fn, COMMIT; ROLLBACK when fn throws. */
  tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** The two int4 keys of an advisory lock, as SQL text: `pg_advisory_xact_lock(${db.lockKeys('append')})`. */
  lockKeys(purpose: LockPurpose): string;
  end(): Promise<void>;
}

export interface DbOptions {
  connectionString: string;
  schema: string;
  poolSize: number;
  logger: Logger;
}

/** FNV-1a, as a signed 32-bit integer (pg_advisory_lock takes int4 keys). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Where the database is, for messages: credentials and query parameters left out. */
export function describeTarget(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname || ''}`;
  } catch {
    return 'the configured database';
  }
}

export function openDb(options: DbOptions): Db {
  const { schema, logger } = options;
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreConfigError(
      `the PostgreSQL schema name "${schema}" is not usable: use lowercase letters, digits and underscores, starting with a letter`,
    );
  }
  const where = describeTarget(options.connectionString);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    // Every statement names its tables unqualified; the schema comes from the session. JIT off: our statements are
    // short index walks, and a misestimated cost (a chunk not yet analyzed) made JIT compile for seconds per read.
    options: `-c search_path=${schema} -c jit=off`,
    application_name: `currents:${schema}`.slice(0, 63),
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types: TYPES,
  });
  // An idle connection that dies (server restart, pg_terminate_backend) is reported here; without a listener the
  // process would crash. The pool has already dropped it; the next checkout opens a new one.
  pool.on('error', (e) => {
    logger.warn({ err: toError(e).message, where }, 'an idle PostgreSQL connection was lost; the pool replaces it');
  });

  const withClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    // While checked out, the pool does not listen for errors: a connection lost between two statements would
    // otherwise be an unhandled 'error' event. The statement in progress rejects on its own.
    const onError = (e: Error): void => {
      logger.warn({ err: e.message, where }, 'a PostgreSQL connection in use was lost');
    };
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (e) {
      if (isConnectionLoss(e)) broken = toError(e);
      throw e;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  };

  return {
    schema,
    where,
    query: async <R>(sql: string, params?: readonly unknown[]): Promise<R[]> =>
      (await pool.query(sql, params as unknown[] | undefined)).rows as R[],
    withClient,
    tx: <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
      withClient(async (client) => {
        await client.query('BEGIN');
        let result: T;
        try {
          result = await fn(client);
        } catch (e) {
          // A lost connection rolls back on the server by itself; then ROLLBACK fails too, and the first error matters.
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
        await client.query('COMMIT');
        return result;
      }),
    lockKeys: (purpose) => `${LOCK[purpose]}, ${hash32(schema)}`,
    end: () => pool.end(),
  };
}
