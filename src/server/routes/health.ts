import { z } from 'zod';
import type { Store } from '../../store/port.js';
import { toError } from '../../store/errors.js';
import type { Api } from '../api.js';
import type { DiskGuard } from '../disk.js';
import type { Metrics } from '../metrics.js';

/** Liveness, readiness and Prometheus metrics: open routes, they carry no secret. */
export function registerHealthRoutes(
  api: Api,
  deps: { store: Store; disk: DiskGuard | null; metrics: Metrics; minFreeDiskMb: number },
): void {
  api.route({
    method: 'GET',
    url: '/healthz',
    tag: 'operations',
    summary: 'Liveness: the process answers',
    auth: 'none',
    responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' }),
  });

  api.route({
    method: 'GET',
    url: '/readyz',
    tag: 'operations',
    summary: 'Readiness: the store is reachable and the disk writable',
    auth: 'none',
    responses: {
      200: { description: 'ready' },
      503: { description: 'not ready: the problems are listed; Retry-After is set' },
    },
    handler: async ({ reply }) => {
      const problems: string[] = [];
      const checks: Record<string, unknown> = {
        database: deps.store.capabilities.multiProcess ? 'postgresql' : 'sqlite',
      };
      try {
        await deps.store.ping();
        checks.store = 'ok';
      } catch (e) {
        checks.store = 'unreachable';
        problems.push(`store: ${toError(e).message}`);
      }
      if (deps.disk !== null) {
        try {
          const free = await deps.disk.freeMb();
          checks.disk_free_mb = Math.floor(free);
          if (free < deps.minFreeDiskMb) problems.push(`disk: only ${Math.floor(free)} MB free`);
        } catch (e) {
          problems.push(`disk: ${toError(e).message}`);
        }
      }
      if (problems.length > 0) {
        return reply.code(503).header('retry-after', '5').send({ status: 'not_ready', checks, problems });
      }
      return { status: 'ready', checks };
    },
  });

  api.route({
    method: 'GET',
    url: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    auth: 'none',
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
    handler: async ({ reply }) => {
      const text = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(text);
    },
  });
}
