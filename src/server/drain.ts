import type { FastifyInstance } from 'fastify';

/** Longest the service keeps answering 503 before it stops listening. */
export const DRAIN_MAX_MS = 1_000;
const POLL_MS = 25;

/**
 * The first step of a graceful shutdown. Closing the listener at once would also close keep-alive connections that
 * look idle, yet may hold a request the client already sent and the server has not read yet: that client would
 * see a reset, not knowing whether its events were kept. Instead, for a short while, every new request is answered
 * 503 with `Connection: close` and `Retry-After` (readiness fails too, so a load balancer moves on), requests
 * already inside finish normally, and clients leave; then the listener closes.
 */
export class Drain {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  /** Register the hook that answers 503 while draining. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (_request, reply) => {
      if (!this.#draining) return;
      return reply.code(503).header('connection', 'close').header('retry-after', '1').send({
        error: 'the service is shutting down: send this request again in a moment (or to another instance)',
        code: 'shutting_down',
      });
    });
  }

  /** Answer 503 from now on; resolve once no connection is left open, or after `maxMs`. */
  async drain(app: FastifyInstance, maxMs = DRAIN_MAX_MS): Promise<void> {
    this.#draining = true;
    const until = Date.now() + maxMs;
    // Requests already in socket buffers are read in the event loop's poll phase: let a few ms and one poll phase
    // pass (setImmediate runs after it), so that each has begun, and is answered, before idle connections close.
    await sleep(POLL_MS);
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Connections with nothing in progress (a browser's or a client pool's spare ones) would otherwise hold the drain.
    app.server.closeIdleConnections();
    while (Date.now() < until && (await openConnections(app)) > 0) {
      await sleep(POLL_MS);
      app.server.closeIdleConnections();
    }
  }
}

function openConnections(app: FastifyInstance): Promise<number> {
  return new Promise((resolve) => app.server.getConnections((err, count) => resolve(err ? 0 : count)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
