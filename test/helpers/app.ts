import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig, type Config, type Flags } from '../../src/config.js';
import { DeliveryEngine } from '../../src/delivery/engine.js';
import { createNotifier } from '../../src/delivery/notify.js';
import { SecretBox } from '../../src/secrets.js';
import { buildApp } from '../../src/server/app.js';
import { deliveryMetrics } from '../../src/server/delivery-metrics.js';
import { Metrics } from '../../src/server/metrics.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { LogRow } from '../../src/types.js';

/**
 * The HTTP API built in-process over a real SQLite file in a fresh temporary folder, called with `app.inject`
 * (no port). Parts are made as `startService` makes them; the delivery engine is not started, but creating or
 * changing an export brings it in step (its lanes then run): stop `engine` first to keep the store still.
 */

export const INGEST_TOKEN = 'test-ingest-token-0123456789abcdef';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const PARTITIONS = 4;

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  config: Config;
  metrics: Metrics;
  engine: DeliveryEngine;
  dir: string;
  dbPath: string;
  /** Every log line the app wrote, as text. */
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  flags?: Flags;
  env?: Record<string, string>;
  /** Cap on the database file, applied after the schema is made (1: not one page more, like a full disk). */
  maxSizeBytes?: number;
  /** Replace the store (e.g. to make one of its methods fail). */
  wrapStore?: (store: Store) => Store;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'currents-server-'));
  try {
    return await build(dir, options);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function build(dir: string, options: TestAppOptions): Promise<TestApp> {
  const config = loadConfig(
    { data: dir, port: 0, partitions: PARTITIONS, ...options.flags },
    {
      CURRENTS_INGEST_TOKEN: INGEST_TOKEN,
      CURRENTS_ADMIN_TOKEN: ADMIN_TOKEN,
      CURRENTS_MIN_FREE_DISK_MB: '0',
      ...options.env,
    },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'info', base: { service: 'currents' } }, sink);
  const dbPath = join(dir, 'currents.db');
  // A cap cannot go below the file's size and the schema needs room: create it first, then reopen with the cap.
  if (options.maxSizeBytes !== undefined) await (await openSqliteStore({ path: dbPath })).close();
  const opened = await openSqliteStore({
    path: dbPath,
    synchronous: config.sqliteSync,
    logger,
    ...(options.maxSizeBytes !== undefined ? { maxSizeBytes: options.maxSizeBytes } : {}),
  });
  const store = options.wrapStore ? options.wrapStore(opened) : opened;
  const metrics = new Metrics(store);
  const secrets = new SecretBox('test-secret-key-0123456789abcdef0123456789');
  const engine = new DeliveryEngine({
    store,
    secrets,
    notifier: createNotifier({ smtpUrl: null, from: config.smtpFrom, logger }),
    observer: deliveryMetrics(metrics, store),
    logger,
    partitions: config.partitions,
    readChunk: config.delivery.readChunk,
    idlePollMs: config.delivery.idlePollMs,
    batchWaitMs: config.delivery.batchWaitMs,
    probeIntervalMs: config.delivery.probeIntervalMs,
    requestTimeoutMs: config.delivery.requestTimeoutMs,
  });
  const app = await buildApp({
    config,
    store,
    keys: { ingestToken: INGEST_TOKEN, adminToken: ADMIN_TOKEN },
    logger,
    metrics,
    secrets,
    engine,
  });
  await app.ready();
  let closed = false;
  return {
    app,
    store,
    config,
    metrics,
    engine,
    dir,
    dbPath,
    logs,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      await engine.stop();
      await opened.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every event in the log, over all partitions, in seq order. */
export async function allRows(store: Store, partitions = PARTITIONS): Promise<LogRow[]> {
  const rows: LogRow[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    let afterSeq = 0;
    for (;;) {
      const page = await store.read({ partition, afterSeq, limit: 5000 });
      rows.push(...page.rows);
      if (page.scannedTo <= afterSeq) break;
      afterSeq = page.scannedTo;
    }
  }
  return rows.sort((a, b) => a.seq - b.seq);
}

/** Headers of a push as Braze's Custom HTTP connector sends it. */
export function pushHeaders(token: string = INGEST_TOKEN): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'braze-currents-version': '1',
    'content-type': 'application/json',
  };
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
