import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, TokenRegistry } from '../../src/server/team/registry.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../helpers/app.js';
import type { Reply } from '../helpers/team-replies.js';

/** Named tokens through the API, over a real SQLite file: shown once, kept as hashes, revoked at once. */

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
  await t.engine.stop();
});
afterEach(async () => {
  await t.close();
});

async function call(method: string, url: string, token: string, body?: unknown) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
  });
  return { status: res.statusCode, body: (res.body === '' ? null : JSON.parse(res.body)) as Reply };
}

/** Every byte of the data folder's database files, as text. */
function databaseText(): string {
  return readdirSync(t.dir)
    .filter((f) => f.startsWith('currents.db'))
    .map((f) => readFileSync(join(t.dir, f)).toString('latin1'))
    .join('\n');
}

describe('named tokens', () => {
  it('shows a new token once, lists names and roles without it, and keeps only its hash', async () => {
    const made = await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'ci-deploy', role: 'operator' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'ci-deploy', role: 'operator', last_used_at: null });
    const value = made.body.token as string;
    expect(value).toMatch(/^cmt_[A-Za-z0-9_-]{43}$/);

    expect((await call('GET', '/v1/whoami', value)).body).toEqual({
      name: 'ci-deploy',
      role: 'operator',
      id: made.body.id,
    });
    const listed = await call('GET', '/v1/tokens', ADMIN_TOKEN);
    expect(listed.body.tokens).toEqual([
      {
        id: made.body.id,
        name: 'ci-deploy',
        role: 'operator',
        created_at: made.body.created_at,
        last_used_at: expect.any(String),
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(value);
    expect(JSON.stringify(listed.body)).not.toContain(hashToken(value));
    await t.store.ping();
    const text = databaseText();
    expect(text).not.toContain(value);
    expect(text).toContain(hashToken(value));
    expect(t.logs.join('\n')).not.toContain(value);
  });

  it('the built-in admin token is an admin named "admin (built-in)"', async () => {
    expect((await call('GET', '/v1/whoami', ADMIN_TOKEN)).body).toEqual({
      name: 'admin (built-in)',
      role: 'admin',
      id: null,
    });
  });

  it('revokes at once: the next request with the token is refused; revoking again is a 404', async () => {
    const made = await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'laptop', role: 'admin' });
    const value = made.body.token as string;
    expect((await call('GET', '/v1/exports', value)).status).toBe(200);
    expect((await call('DELETE', `/v1/tokens/${made.body.id}`, ADMIN_TOKEN)).status).toBe(204);
    const refused = await call('GET', '/v1/exports', value);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toContain('no live token has this value (it may have been revoked)');
    const again = await call('DELETE', `/v1/tokens/${made.body.id}`, ADMIN_TOKEN);
    expect(again.status).toBe(404);
    expect(again.body.error).toContain('GET /v1/tokens lists them');
    expect((await call('GET', '/v1/tokens', ADMIN_TOKEN)).body.tokens).toEqual([]);
  });

  it('says what to change for a bad name or role, and refuses a name a live token has', async () => {
    const bad = await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'admin (built-in)', role: 'root' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields!).sort()).toEqual(['name', 'role']);
    expect(bad.body.fields!.role).toContain('choose viewer');
    expect(bad.body.fields!.name).toContain('letters, digits');
    await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'alice', role: 'viewer' });
    const taken = await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'alice', role: 'admin' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toContain('a token named "alice" exists');
  });

  it('a named admin token may make and revoke tokens; an operator may not list them', async () => {
    const admin = (await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'lead', role: 'admin' })).body.token as string;
    const op = await call('POST', '/v1/tokens', admin, { name: 'oncall', role: 'operator' });
    expect(op.status).toBe(201);
    expect((await call('GET', '/v1/tokens', op.body.token as string)).status).toBe(403);
  });
});

describe('last use', () => {
  it('is written at most once a minute per token, whatever the number of requests', async () => {
    let now = 1_800_000_000_000;
    const registry = new TokenRegistry(t.store, ADMIN_TOKEN, { now: () => now });
    const made = await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'dashboard', role: 'viewer' });
    const value = made.body.token as string;
    const lastUsed = async () => (await t.store.findToken(hashToken(value)))!.lastUsedAt;
    const settle = () => new Promise((r) => setTimeout(r, 50));

    expect((await registry.identify(value))?.name).toBe('dashboard');
    await settle();
    expect(await lastUsed()).toBe(now);
    const first = now;
    for (let i = 0; i < 20; i++) {
      now += 2_000;
      await registry.identify(value);
    }
    await settle();
    expect(await lastUsed()).toBe(first);
    now = first + 60_000;
    await registry.identify(value);
    await settle();
    expect(await lastUsed()).toBe(first + 60_000);
  });
});
