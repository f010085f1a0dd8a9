import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SandboxCore } from './core.js';
import { applyFaultPatch, faultPatch, faultsView, noFaults, revoke } from './faults.js';

/**
 * The sandbox's own API, for tests and benchmarks: read what was accepted, the counters, and set feeds and faults.
 * Bodies are JSON; a body that does not fit is answered 400 with what was wrong.
 */

const feedBody = z
  .object({
    key: z
      .string()
      .min(1)
      .regex(/^[^:]+$/, 'a key cannot hold ":"'),
    secret: z.string(),
  })
  .strict();
const revokeBody = z.object({ seconds: z.number().positive().optional() }).strict().optional();
const batchesQuery = z.object({
  key: z.string().optional(),
  since: z.coerce.number().optional(),
});

function parseJson<T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): T | undefined {
  let value: unknown = undefined;
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      value = JSON.parse(body);
    } catch {
      void reply.code(400).send({ error: 'The body is not JSON.' });
      return undefined;
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    void reply.code(400).send({ error: z.prettifyError(result.error) });
    return undefined;
  }
  return result.data;
}

export function registerControlApi(app: FastifyInstance, core: SandboxCore): void {
  app.get('/sandbox/batches', async (request, reply) => {
    const query = batchesQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: z.prettifyError(query.error) });
    const filter: { key?: string; since?: number } = {};
    if (query.data.key !== undefined) filter.key = query.data.key;
    if (query.data.since !== undefined) filter.since = query.data.since;
    return reply.header('content-type', 'application/json').send(JSON.stringify(core.store.list(filter)));
  });

  app.delete('/sandbox/batches', async (_request, reply) => {
    core.store.clear();
    return reply.code(204).send();
  });

  app.get('/sandbox/stats', async () => core.stats.view(core.store.size));

  app.post('/sandbox/feeds', async (request, reply) => {
    const feed = parseJson(feedBody, request.body, reply);
    if (feed === undefined) return reply;
    core.feeds.set(feed.key, feed.secret);
    return { key: feed.key };
  });

  app.post<{ Params: { key: string } }>('/sandbox/feeds/:key/revoke', async (request, reply) => {
    const body = parseJson(revokeBody, request.body, reply);
    if (reply.sent) return reply;
    revoke(core.faults, request.params.key, body?.seconds, core.now());
    return { key: request.params.key, revoked: true, until: core.faults.revoked.get(request.params.key) ?? null };
  });

  app.post<{ Params: { key: string } }>('/sandbox/feeds/:key/restore', async (request) => {
    core.faults.revoked.delete(request.params.key);
    return { key: request.params.key, revoked: false };
  });

  app.get('/sandbox/faults', async () => faultsView(core.faults));

  app.post('/sandbox/faults', async (request, reply) => {
    const patch = parseJson(faultPatch, request.body, reply);
    if (patch === undefined) return reply;
    applyFaultPatch(core.faults, patch, core.now());
    return faultsView(core.faults);
  });

  app.delete('/sandbox/faults', async () => {
    Object.assign(core.faults, noFaults());
    return faultsView(core.faults);
  });

  app.post('/sandbox/reset', async (_request, reply) => {
    core.clearAll();
    return reply.code(204).send();
  });
}
