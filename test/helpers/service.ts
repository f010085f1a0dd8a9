import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { startService, type Service } from '../../src/server/service.js';
import { dropSchema, freshSchema, TEST_DATABASE_URL } from '../store/postgres-helper.js';
import { ADMIN_TOKEN, INGEST_TOKEN } from './app.js';

/**
 * The whole service as `currents serve` starts it (`startService`: the store it picks, the delivery engine, the
 * HTTP API listening on 127.0.0.1 at a free port), in this process, so that a test can also look into its store.
 * On SQLite the store runs on its worker thread, as it does for a user (run `npm run build` first); on PostgreSQL
 * it works in a schema of its own.
 */

export type StoreKind = 'sqlite' | 'postgres';

export interface Place {
  kind: StoreKind;
  /** The data folder (SQLite's file, tokens, secret key). */
  dataDir: string;
  /** The PostgreSQL schema; unused on SQLite. */
  schema: string;
}

export interface TestService {
  service: Service;
  config: Config;
  url: string;
  place: Place;
  logs: string[];
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  push(events: unknown[]): Promise<{ status: number; body: { stored: number } }>;
  /** Stop the service; `keep` leaves its data folder or schema for another one. */
  close(keep?: 'keep'): Promise<void>;
}

/** A new data folder (and schema): where `startTestService` puts a store. */
export async function newPlace(kind: StoreKind): Promise<Place> {
  return { kind, dataDir: await mkdtemp(join(tmpdir(), 'currents-service-')), schema: freshSchema() };
}

export async function removePlace(place: Place): Promise<void> {
  if (place.kind === 'postgres') await dropSchema(place.schema);
  await rm(place.dataDir, { recursive: true, force: true });
}

export async function startTestService(place: Place, env: Record<string, string> = {}): Promise<TestService> {
  const config = loadConfig(
    { data: place.dataDir, host: '127.0.0.1', port: 0, partitions: 4 },
    {
      CURRENTS_INGEST_TOKEN: INGEST_TOKEN,
      CURRENTS_ADMIN_TOKEN: ADMIN_TOKEN,
      CURRENTS_SECRET_KEY: 'test-service-secret-key-0123456789',
      CURRENTS_MIN_FREE_DISK_MB: '0',
      ...(place.kind === 'postgres'
        ? { DATABASE_URL: TEST_DATABASE_URL, CURRENTS_DATABASE_SCHEMA: place.schema, CURRENTS_DATABASE_POOL_SIZE: '4' }
        : {}),
      ...env,
    },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const service = await startService(config, pino({ level: 'info' }, sink));
  const call = async (method: string, path: string, token: string, body: unknown, extra = {}) => {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...extra,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as never };
  };
  return {
    service,
    config,
    url: service.url,
    place,
    logs,
    api: (method, path, body) => call(method, path, ADMIN_TOKEN, body),
    push: (events) => call('POST', '/v1/currents', INGEST_TOKEN, { events }, { 'braze-currents-version': '1' }),
    close: async (keep) => {
      await service.close();
      if (keep === undefined) await removePlace(place);
    },
  };
}
