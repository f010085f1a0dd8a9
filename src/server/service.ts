import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/port.js';
import { toError } from '../store/errors.js';
import { DeliveryEngine } from '../delivery/engine.js';
import { createNotifier } from '../delivery/notify.js';
import { LeaseManager } from '../delivery/leases.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../secrets.js';
import { deliveryMetrics } from './delivery-metrics.js';
import { buildApp } from './app.js';
import { Drain } from './drain.js';
import { checkSecretKey, ensureKeys, type Keys } from './keys.js';
import { Metrics } from './metrics.js';
import { startIdleRelease } from './idle-memory.js';
import { startRetention } from './retention.js';
import { startPollers } from './sources/pollers.js';
import { describeCert, loadTlsPair, reloadTls } from './tls.js';
import type { Server as HttpsServer } from 'node:https';

export interface Service {
  app: FastifyInstance;
  store: Store;
  keys: Keys;
  url: string;
  /**
   * Read the TLS certificate and key again (SIGHUP): new connections get them, open ones keep theirs; a pair that
   * cannot be used is logged and the previous one kept. False when not serving HTTPS or the new pair was refused.
   */
  reloadTls(): boolean;
  /** Stop accepting, finish in-flight requests and commits, stop the loops, close the store. */
  close(): Promise<void>;
}

/**
 * Start the whole service from settings. Every resource registers its release here, in the order it must be undone.
 */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  const releases: { name: string; release: () => Promise<void> }[] = [];
  const keys = ensureKeys(config);
  const store = await openStore(config, logger);
  releases.push({ name: 'store', release: () => store.close() });
  try {
    await checkSecretKey(store, keys.secretKey);
    const metrics = new Metrics(store);
    const secrets = new SecretBox(keys.secretKey);
    // Several processes on one PostgreSQL share delivery through leases; alone on SQLite, this process sends all.
    // A process of role ingest delivers nothing, so it takes no part in the leases either.
    const delivers = config.role !== 'ingest';
    const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const leases =
      store.capabilities.multiProcess && delivers
        ? new LeaseManager({
            store,
            owner,
            role: config.role,
            ttlMs: config.delivery.leaseTtlMs,
            logger,
          })
        : undefined;
    const engine = new DeliveryEngine({
      store,
      secrets,
      notifier: createNotifier({ smtpUrl: config.smtpUrl, from: config.smtpFrom, logger }),
      observer: deliveryMetrics(metrics, store),
      logger,
      partitions: config.partitions,
      readChunk: config.delivery.readChunk,
      readBudgetBytes: config.delivery.bufferBytes,
      chunksInFlight: config.delivery.chunksInFlight,
      idlePollMs: config.delivery.idlePollMs,
      batchWaitMs: config.delivery.batchWaitMs,
      probeIntervalMs: config.delivery.probeIntervalMs,
      requestTimeoutMs: config.delivery.requestTimeoutMs,
      backoff: { baseMs: 250, maxMs: config.delivery.maxBackoffMs, jitter: 0.5 },
      ...(leases ? { leases, leaseTtlMs: config.delivery.leaseTtlMs } : {}),
      delivers,
    });
    const drain = new Drain();
    let sourcesChanged = (): void => undefined;
    const app = await buildApp({
      config,
      store,
      keys,
      logger,
      metrics,
      secrets,
      engine,
      drain,
      onSourcesChanged: () => sourcesChanged(),
    });
    const retention = startRetention(store, config, logger);
    releases.push({ name: 'retention', release: retention.stop });
    if (config.idleReleaseMs > 0) {
      const idle = startIdleRelease({
        idleMs: config.idleReleaseMs,
        releaseStore: () => store.releaseMemory(),
        logger,
      });
      releases.push({ name: 'idle memory release', release: idle.stop });
    }
    releases.push({ name: 'delivery', release: () => engine.stop() });
    await engine.start();
    // Polling buckets is ingest: a process of role deliver leaves it to the others.
    if (config.role !== 'deliver') {
      const pollers = await startPollers({ config, store, secrets, metrics, engine, logger, owner });
      releases.push({ name: 'storage pollers', release: pollers.stop });
      sourcesChanged = pollers.refresh;
    }
    releases.push({
      name: 'http',
      release: async () => {
        if (app.server.listening) await drain.drain(app);
        await app.close();
      },
    });
    const url = await app.listen({ host: config.host, port: config.port });
    logger.info(
      {
        url,
        role: config.role,
        store: config.databaseUrl ? 'postgres' : 'sqlite',
        ...(config.tls !== null ? { tls: describeCert(loadTlsPair(config.tls)) } : {}),
      },
      'service started',
    );
    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= releaseAll(releases, logger);
      return closing;
    };
    const reload = () => (config.tls === null ? false : reloadTls(app.server as HttpsServer, config.tls, logger));
    return { app, store, keys, url, close, reloadTls: reload };
  } catch (e) {
    await releaseAll(releases, logger);
    throw e;
  }
}

async function releaseAll(releases: { name: string; release: () => Promise<void> }[], logger: Logger): Promise<void> {
  for (const { name, release } of [...releases].reverse()) {
    try {
      await release();
    } catch (e) {
      logger.error({ err: toError(e), resource: name }, 'error while shutting down');
    }
  }
}
