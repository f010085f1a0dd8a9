import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HttpError } from './errors.js';

/**
 * Serves the dashboard (built by Vite into dist/dashboard) at `/`. Paths that are not files fall back to
 * index.html so that client-side routes (/exports/abc) survive a reload, except the API's own prefixes, which keep
 * answering JSON 404s.
 */

const API_PREFIXES = ['/v1', '/healthz', '/readyz', '/metrics', '/openapi.json'];

/** The page may load only what the service itself serves: no fonts, scripts or images from elsewhere. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // The palette is injected as one <style> element at start and React sets a few style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>currents-mparticle: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The dashboard has not been built</h1>
<p>The API is running, but <code>dist/dashboard</code> is missing. Run <code>npm run build</code> in the project
folder (npm install and npm start run it too), then reload this page.</p>
</body></html>
`;

export interface DashboardOptions {
  /** Folder holding the built index.html and assets/; by default dist/dashboard of this installation. */
  dir?: string;
}

export function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Where the build puts the dashboard, seen from this module compiled (dist/src/server) or run from source. */
export function defaultDashboardDir(): string {
  const candidates = [
    fileURLToPath(new URL('../../dashboard/', import.meta.url)),
    fileURLToPath(new URL('../../dist/dashboard/', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(`${dir}/index.html`)) ?? candidates[0]!;
}

export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> {
  const dir = opts.dir ?? defaultDashboardDir();
  // Checked once at start: a dashboard built while the service runs is picked up on the next start.
  const built = existsSync(`${dir}/index.html`);
  if (built) await app.register(fastifyStatic, { root: dir, serve: false });

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const path = request.url.split('?')[0] ?? '/';
    if (isApiPath(path)) {
      throw new HttpError(404, 'not_found', `no route GET ${path}; GET /openapi.json lists the API`);
    }
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!built) return reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (last.includes('.') && last !== 'index.html') {
      // Vite names the files under assets/ by their content hash, so they never change under the same name.
      const hashed = path.startsWith('/assets/');
      return reply.sendFile(decoded(path.slice(1)), {
        maxAge: hashed ? 31_536_000_000 : 0,
        immutable: hashed,
      });
    }
    return reply
      .header('content-security-policy', DASHBOARD_CSP)
      .header('cache-control', 'no-cache')
      .sendFile('index.html', { maxAge: 0, cacheControl: false });
  };
  app.get('/', { config: { auth: 'none' } }, handler);
  app.get('/*', { config: { auth: 'none' } }, handler);
}

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // A malformed escape cannot name a file we serve; send() answers it with a 404.
    return path;
  }
}
