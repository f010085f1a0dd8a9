import Fastify, { type FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, isApiPath, registerDashboard } from '../../src/server/dashboard.js';
import { errorHandler } from '../../src/server/errors.js';

const INDEX = '<!doctype html><title>dash</title><div id="root"></div>';

async function appWith(dir: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  app.get('/v1/exports', async () => ({ exports: [] }));
  app.get('/healthz', async () => ({ ok: true }));
  await registerDashboard(app, { dir });
  await app.ready();
  return app;
}

describe('serving the built dashboard', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'currents-dash-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
    app = await appWith(dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers index.html at / with a policy that allows only the service itself', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).not.toMatch(/https?:/);
  });

  it('answers index.html for client-side routes so that a reload keeps the page', async () => {
    for (const url of ['/exports/exp_1', '/exports/exp_1/edit', '/quarantine?x=1', '/exports/new']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
    }
  });

  it('serves hashed assets with a long cache life', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('console.log("app")');
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toMatch(/immutable/);
  });

  it('answers 404 for a missing asset instead of the page', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/nope-123.js' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toBe(INDEX);
  });

  it('leaves the API alone: its routes answer, its unknown paths get a JSON 404', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/exports' })).json()).toEqual({ exports: [] });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    for (const url of ['/v1/nothing-here', '/v1', '/metrics', '/readyz/x', '/openapi.json']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: 'not_found' });
    }
  });

  it('does not serve files outside its folder', async () => {
    writeFileSync(join(dir, '..', 'outside-secret.txt'), 'secret');
    try {
      const res = await app.inject({ method: 'GET', url: '/..%2Foutside-secret.txt' });
      expect(res.body).not.toContain('secret');
    } finally {
      rmSync(join(dir, '..', 'outside-secret.txt'), { force: true });
    }
  });
});

describe('when the dashboard was not built', () => {
  it('says on / how to build it, and the API still answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'currents-dash-empty-'));
    const app = await appWith(dir);
    try {
      for (const url of ['/', '/exports/exp_1']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/text\/html/);
        expect(res.body).toContain('npm run build');
      }
      expect((await app.inject({ method: 'GET', url: '/v1/exports' })).statusCode).toBe(200);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isApiPath', () => {
  it('tells API prefixes from page paths', () => {
    expect(isApiPath('/v1/exports')).toBe(true);
    expect(isApiPath('/healthz')).toBe(true);
    expect(isApiPath('/metrics')).toBe(true);
    expect(isApiPath('/v1x')).toBe(false);
    expect(isApiPath('/exports/v1')).toBe(false);
    expect(isApiPath('/')).toBe(false);
  });
});
