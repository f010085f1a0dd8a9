import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { DeliveryEngine } from '../delivery/engine.js';
import type { SecretBox } from '../secrets.js';
import type { Store } from '../store/port.js';
import { Api } from './api.js';
import { DiskGuard } from './disk.js';
import { errorHandler } from './errors.js';
import { useJsonBodies } from './json-body.js';
import type { Keys } from './keys.js';
import type { Metrics } from './metrics.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerIngestRoute } from './routes/ingest.js';
import { registerQuarantineRoutes } from './routes/quarantine.js';
import type { Drain } from './drain.js';
import { registerEventRoutes } from './routes/events.js';
import { registerCatalogRoute } from './routes/catalog.js';
import { registerExportActions } from './routes/export-actions.js';
import { registerReplayRoutes } from './routes/replays.js';
import { registerExportRoutes } from './routes/exports.js';
import { registerDashboard } from './dashboard.js';
import { requireIngest, requireRole } from './auth.js';
import { registerSourceRoutes } from './routes/sources.js';
import { SourceDirectory } from './sources/directory.js';
import { packageVersion } from '../version.js';
import { registerAuditRoute } from './routes/audit.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { AuditLog } from './team/audit.js';
import { TokenRegistry } from './team/registry.js';
import { requireDeclaredAccess } from './team/route-access.js';
import { toError } from '../store/errors.js';
import { loadTlsPair } from './tls.js';

export interface AppDeps {
  config: Config;
  store: Store;
  keys: Pick<Keys, 'ingestToken' | 'adminToken'>;
  logger: Logger;
  metrics: Metrics;
  secrets: SecretBox;
  engine: DeliveryEngine;
  now?: () => number;
  /** Shutdown's drain (503 + Connection: close for new requests); the service passes its own. */
  drain?: Drain;
  /** A source was created, changed or deleted through this API (the service's storage pollers look at once). */
  onSourcesChanged?: () => void;
}

/** The HTTP API. Built without listening so that tests can call it in-process (`app.inject`). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store, metrics } = deps;
  const app = Fastify({
    ...(config.tls !== null ? { https: loadTlsPair(config.tls) } : {}),
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request lines would cost more than the ingest itself; metrics count requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  requireDeclaredAccess(app);
  app.setErrorHandler(errorHandler);
  deps.drain?.install(app);
  useJsonBodies(app);
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
    });
  });

  // Which source a push belongs to is decided from its token (and ?source=) before its body is read.
  const directory = new SourceDirectory(store, deps.keys.ingestToken);
  const now = deps.now ?? Date.now;
  const registry = new TokenRegistry(store, deps.keys.adminToken, {
    now,
    onTouchError: (e) => deps.logger.warn({ err: toError(e) }, "could not record a token's last use"),
  });
  const staff = (role: 'viewer' | 'operator' | 'admin') => requireRole(registry, role, deps.keys.ingestToken);
  const api = new Api(app, {
    viewer: staff('viewer'),
    operator: staff('operator'),
    admin: staff('admin'),
    ingest: requireIngest(directory),
  });
  const audit = new AuditLog(store, now, deps.logger);
  const disk = config.databaseUrl === null ? new DiskGuard(config.dataDir, config.minFreeDiskMb) : null;
  registerHealthRoutes(api, { store, disk, metrics, minFreeDiskMb: config.minFreeDiskMb });
  if (config.role !== 'deliver') {
    registerIngestRoute(api, {
      store,
      metrics,
      disk: disk ?? new DiskGuard(config.dataDir, 0),
      partitions: config.partitions,
      maxEventsPerRequest: config.maxEventsPerRequest,
      bodyLimitBytes: config.bodyLimitBytes,
      onAppended: () => deps.engine.wake(),
    });
  }
  registerQuarantineRoutes(api, { store, partitions: config.partitions, audit });
  const exportDeps = { store, secrets: deps.secrets, engine: deps.engine, now, audit };
  registerExportRoutes(api, exportDeps);
  registerSourceRoutes(api, {
    store,
    secrets: deps.secrets,
    directory,
    now,
    audit,
    ...(deps.onSourcesChanged ? { onChange: deps.onSourcesChanged } : {}),
  });
  registerExportActions(api, { ...exportDeps, partitions: config.partitions });
  registerReplayRoutes(api, { ...exportDeps, partitions: config.partitions });
  registerEventRoutes(api, { store, now: exportDeps.now });
  registerCatalogRoute(api);
  registerTokenRoutes(api, { store, audit, now });
  registerAuditRoute(api, { store });
  api.route({
    method: 'GET',
    url: '/openapi.json',
    tag: 'operations',
    summary: 'This document: every route of the API (OpenAPI 3.0)',
    auth: 'none',
    responses: { 200: { description: 'the OpenAPI document' } },
    handler: async () => api.openapi({ title: 'currents-mparticle', version: packageVersion() }),
  });
  await registerDashboard(app);
  return app;
}
