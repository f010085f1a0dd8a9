import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { EventsPath, SandboxCore } from './core.js';

const PATHS: readonly EventsPath[] = ['/v2/events', '/v2/bulkevents', '/v2/bulkevents/historical'];

/** The three Events API routes; every answer comes from the core, after any injected latency. */
export function registerEventsApi(app: FastifyInstance, core: SandboxCore): void {
  for (const path of PATHS) {
    app.post(path, async (request, reply) => {
      const latency = core.faults.latencyMs;
      if (latency > 0) await sleep(latency);
      const body = typeof request.body === 'string' ? request.body : undefined;
      const answer = core.handle(path, request.headers.authorization, body);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  }
}
