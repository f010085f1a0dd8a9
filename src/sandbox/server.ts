import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { registerControlApi } from './control-api.js';
import { SandboxCore } from './core.js';
import { registerEventsApi } from './events-api.js';
import { MAX_REQUEST_BYTES, type SandboxOptions } from './options.js';

export type { SandboxOptions } from './options.js';

export interface SandboxHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A local stand-in for mParticle's Events API (see core.ts for what it checks) with a control API under
 * `/sandbox/`. Listens on 127.0.0.1 unless told otherwise.
 */
export async function startSandbox(opts: SandboxOptions): Promise<SandboxHandle> {
  const core = new SandboxCore(opts);
  // Requests of 256 KB or more are refused with 413, as mParticle does.
  const app = Fastify({ logger: false, bodyLimit: MAX_REQUEST_BYTES - 1 });

  // Bodies arrive as text whatever their content type: the routes answer a bad body the way mParticle does.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: { statusCode?: number; message?: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    const code = status === 413 ? 'REQUEST_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    const message =
      status === 413 ? `Requests must be under ${MAX_REQUEST_BYTES} bytes.` : (error.message ?? 'Request failed.');
    return reply.code(status).send({ errors: [{ code, message }] });
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/v2/')) return;
    core.stats.request(reply.statusCode, core.knownKey(request.headers.authorization));
  });

  registerEventsApi(app, core);
  registerControlApi(app, core);

  await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => app.close(),
  };
}
