import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { requireDeclaredAccess, routeAccess } from '../../src/server/team/route-access.js';
import type { Access } from '../../src/server/team/roles.js';
import { ADMIN_TOKEN, INGEST_TOKEN, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Who may call what, route by route. The table below is the policy; the app must serve exactly these routes with
 * exactly these roles (a route added without a line here fails), and each kind of caller, against each route,
 * gets through (2xx, or a 4xx that is not 401/403 where the request itself is wrong) or is refused (403 for a
 * staff token whose role is too low, 401 without a staff token).
 */
const POLICY: Record<string, Access> = {
  'GET /healthz': 'none',
  'GET /readyz': 'none',
  'GET /metrics': 'none',
  'GET /openapi.json': 'none',
  'GET /': 'none',
  'GET /*': 'none',
  'POST /v1/currents': 'ingest',
  'GET /v1/catalog': 'viewer',
  'GET /v1/events/:id': 'viewer',
  'GET /v1/quarantine': 'viewer',
  'POST /v1/quarantine/retry': 'operator',
  'POST /v1/quarantine/dismiss': 'operator',
  'POST /v1/exports': 'admin',
  'GET /v1/exports': 'viewer',
  'GET /v1/exports/:id': 'viewer',
  'PATCH /v1/exports/:id': 'admin',
  'DELETE /v1/exports/:id': 'admin',
  'POST /v1/exports/:id/pause': 'operator',
  'POST /v1/exports/:id/resume': 'operator',
  'GET /v1/exports/:id/status': 'viewer',
  'POST /v1/test-credentials': 'operator',
  'POST /v1/exports/:id/test-credentials': 'operator',
  'POST /v1/exports/:id/test-events': 'operator',
  'GET /v1/exports/:id/dead-letters': 'viewer',
  'POST /v1/exports/:id/dead-letters/retry': 'operator',
  'POST /v1/exports/:id/dead-letters/:letter/retry': 'operator',
  'GET /v1/exports/:id/replay-preview': 'viewer',
  'POST /v1/exports/:id/replay': 'operator',
  'GET /v1/exports/:id/replays': 'viewer',
  'GET /v1/exports/:id/replays/:generation': 'viewer',
  'GET /v1/exports/:id/series': 'viewer',
  'POST /v1/sources': 'admin',
  'GET /v1/sources': 'viewer',
  'GET /v1/sources/:id': 'viewer',
  'PATCH /v1/sources/:id': 'admin',
  'POST /v1/sources/:id/pause': 'operator',
  'POST /v1/sources/:id/resume': 'operator',
  'POST /v1/sources/:id/token': 'admin',
  'DELETE /v1/sources/:id': 'admin',
  'GET /v1/sources/:id/status': 'viewer',
  'GET /v1/whoami': 'viewer',
  'POST /v1/tokens': 'admin',
  'GET /v1/tokens': 'admin',
  'DELETE /v1/tokens/:id': 'admin',
  'GET /v1/audit': 'viewer',
};

let t: TestApp;
let mp: Server;
let exportId: string;
let sourceId: string;
const tokens: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };

async function call(method: string, url: string, token: string | null, body?: unknown) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
  });
  return { status: res.statusCode, body: res.body };
}

beforeAll(async () => {
  // A stand-in Events API on this machine, so that credential checks reach something real and say yes.
  mp = createServer((_req, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((resolve) => mp.listen(0, '127.0.0.1', resolve));
  t = await startTestApp();
  await t.engine.stop();
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const res = await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: `${role}-bot`, role });
    expect(res.status).toBe(201);
    tokens[role] = (JSON.parse(res.body) as { token: string }).token;
  }
  const created = await call('POST', '/v1/exports', ADMIN_TOKEN, {
    name: 'Table',
    contact_email: 'ops@example.com',
    destination: { base_url: `http://127.0.0.1:${(mp.address() as AddressInfo).port}` },
    environment: 'development',
    feeds: { unbound: { key: 'k', secret: 's' } },
    events: ['users.messages.email.Send'],
  });
  exportId = (JSON.parse(created.body) as { id: string }).id;
  const source = await call('POST', '/v1/sources', ADMIN_TOKEN, { name: 'Brand A', kind: 'http' });
  sourceId = (JSON.parse(source.body) as { id: string }).id;
});
afterAll(async () => {
  await t?.close();
  await new Promise<void>((resolve) => mp?.close(() => resolve()));
});

/** A path to call: real ids where a route reads its target, names of nothing where it would delete it. */
function pathOf(method: string, url: string): { path: string; real: boolean } {
  if (url === '/*') return { path: '/exports', real: true };
  let real = true;
  const path = url.replace(/:([a-z]+)/g, (_m, name: string) => {
    if (method === 'DELETE') {
      real = false;
      return 'nothing-here';
    }
    if (name === 'letter' || name === 'generation') {
      real = false;
      return '1';
    }
    if (url.startsWith('/v1/exports/')) return exportId;
    if (url.startsWith('/v1/sources/')) return sourceId;
    real = false;
    return 'nothing-here';
  });
  // A preview reads a range: without one it is a 400 that says so.
  if (url.endsWith('/replay-preview')) return { path: `${path}?from=2026-11-01T00:00:00Z`, real };
  return { path, real };
}

describe('access by role', () => {
  it('every route the app serves says who may call it, as the policy table does', () => {
    const served = routeAccess(t.app).filter((r) => r.method !== 'HEAD');
    const seen = Object.fromEntries(served.map((r) => [`${r.method} ${r.url}`, r.auth]));
    expect(seen).toEqual(POLICY);
    // HEAD routes Fastify adds for GET ones carry the same access.
    for (const head of routeAccess(t.app).filter((r) => r.method === 'HEAD')) {
      expect(head.auth, `HEAD ${head.url}`).toBe(POLICY[`GET ${head.url}`]);
    }
  });

  it('each caller against each route: through, or refused with 401 (no staff token) or 403 (role too low)', async () => {
    const callers: [string, string | null, 'viewer' | 'operator' | 'admin' | 'ingest' | 'nobody'][] = [
      ['no token', null, 'nobody'],
      ['a revoked-looking unknown token', 'cmt_not-a-token-0123456789abcdefghijk', 'nobody'],
      ['the ingest token', INGEST_TOKEN, 'ingest'],
      ['a viewer token', tokens.viewer, 'viewer'],
      ['an operator token', tokens.operator, 'operator'],
      ['an admin token', tokens.admin, 'admin'],
      ['the built-in admin token', ADMIN_TOKEN, 'admin'],
    ];
    const rank = { nobody: 0, ingest: 0, viewer: 1, operator: 2, admin: 3 } as const;
    const need = { viewer: 1, operator: 2, admin: 3 } as const;
    const failures: string[] = [];
    let through = 0;
    let forbidden = 0;
    for (const [key, access] of Object.entries(POLICY)) {
      const [method, url] = key.split(' ') as [string, string];
      const { path, real } = pathOf(method, url);
      for (const [label, token, who] of callers) {
        const body = method === 'POST' || method === 'PATCH' ? {} : undefined;
        const res = await call(method, path, token, body);
        let expected: 'through' | 401 | 403;
        if (access === 'none') expected = 'through';
        else if (access === 'ingest') expected = who === 'ingest' ? 'through' : 401;
        else if (who === 'nobody' || who === 'ingest') expected = 401;
        else expected = rank[who] >= need[access] ? 'through' : 403;
        const seen = `${method} ${path} with ${label}: ${res.status} ${res.body.slice(0, 160)}`;
        if (expected === 'through') {
          through++;
          if (res.status === 401 || res.status === 403 || res.status >= 500) failures.push(`expected through; ${seen}`);
          else if (method === 'GET' && real && (res.status < 200 || res.status > 299))
            failures.push(`expected 2xx; ${seen}`);
        } else {
          if (expected === 403) forbidden++;
          if (res.status !== expected) failures.push(`expected ${expected}; ${seen}`);
          if (expected === 403 && !res.body.includes(`needs ${access === 'viewer' ? 'viewer' : access}`)) {
            failures.push(`the 403 does not name the role needed; ${seen}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(through).toBeGreaterThan(100);
    expect(forbidden).toBeGreaterThan(30);
  });

  it('a viewer reads exports, sources and the audit log but cannot pause, edit or delete; an operator pauses but cannot edit', async () => {
    expect((await call('GET', `/v1/exports/${exportId}`, tokens.viewer)).status).toBe(200);
    const paused = await call('POST', `/v1/exports/${exportId}/pause`, tokens.viewer, {});
    expect(paused.status).toBe(403);
    expect(JSON.parse(paused.body)).toMatchObject({ code: 'forbidden', role: 'viewer', needs: 'operator' });
    expect((JSON.parse(paused.body) as { error: string }).error).toContain('"viewer-bot" has the role viewer');
    expect((await call('POST', `/v1/exports/${exportId}/pause`, tokens.operator, {})).status).toBe(200);
    expect((await call('PATCH', `/v1/exports/${exportId}`, tokens.operator, { name: 'x' })).status).toBe(403);
    expect((await call('POST', `/v1/exports/${exportId}/resume`, tokens.operator, {})).status).toBe(200);
    const state = JSON.parse((await call('GET', `/v1/exports/${exportId}`, tokens.viewer)).body) as { state: string };
    expect(state.state).toBe('active');
  });

  it('a route declared without saying who may call it is refused when it is declared', async () => {
    const app = Fastify();
    requireDeclaredAccess(app);
    app.get('/fine', { config: { auth: 'viewer' } }, async () => 'ok');
    expect(() => app.get('/forgotten', async () => 'open to all?')).toThrow(
      /the route GET \/forgotten does not say who may call it/,
    );
    expect(routeAccess(app).map((r) => `${r.method} ${r.url} ${r.auth}`)).toContain('GET /fine viewer');
    await app.close();
  });
});
