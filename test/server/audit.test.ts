import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../helpers/app.js';
import type { Entry, Reply } from '../helpers/team-replies.js';

/** The audit log through the API: who changed what, with fields before and after, secrets only as "changed". */

let t: TestApp;
let mp: Server;
let mpUrl: string;
beforeEach(async () => {
  mp = createServer((_req, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
  await new Promise<void>((resolve) => mp.listen(0, '127.0.0.1', resolve));
  mpUrl = `http://127.0.0.1:${(mp.address() as AddressInfo).port}`;
  t = await startTestApp();
  await t.engine.stop();
});
afterEach(async () => {
  await t.close();
  await new Promise<void>((resolve) => mp.close(() => resolve()));
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

async function tokenFor(name: string, role: string): Promise<string> {
  return (await call('POST', '/v1/tokens', ADMIN_TOKEN, { name, role })).body.token as string;
}

describe('audit log', () => {
  it('records each change to an export with the token name, the fields before and after, and secrets only as changed', async () => {
    const alice = await tokenFor('alice', 'admin');
    const bob = await tokenFor('bob', 'operator');
    const created = await call('POST', '/v1/exports', alice, {
      name: 'Brand A',
      contact_email: 'ops@example.com',
      destination: { base_url: mpUrl },
      environment: 'development',
      feeds: { ios: { key: 'ios-key', secret: 'first-secret-value' } },
      events: ['users.messages.email.Send'],
    });
    const id = created.body.id as string;
    expect(
      (
        await call('PATCH', `/v1/exports/${id}`, alice, {
          name: 'Brand A (prod)',
          feeds: { ios: { secret: 'second-secret-value' } },
        })
      ).status,
    ).toBe(200);
    expect((await call('POST', `/v1/exports/${id}/pause`, bob, {})).status).toBe(200);
    expect((await call('POST', `/v1/exports/${id}/replay`, bob, { from: '2026-01-01T00:00:00Z' })).status).toBe(202);
    expect((await call('POST', `/v1/exports/${id}/test-credentials`, bob, {})).status).toBe(200);
    expect((await call('POST', `/v1/exports/${id}/dead-letters/retry`, bob, {})).status).toBe(200);
    // Reads are not changes.
    await call('GET', `/v1/exports/${id}`, bob);

    const viewer = await tokenFor('carol', 'viewer');
    const log = await call('GET', `/v1/audit?export=${id}`, viewer);
    expect(log.status).toBe(200);
    const entries = log.body.entries as Entry[];
    expect(entries.map((e) => [e.token, e.action])).toEqual([
      ['bob', 'export.dead_letters.retry'],
      ['bob', 'export.test_credentials'],
      ['bob', 'export.replay'],
      ['bob', 'export.pause'],
      ['alice', 'export.update'],
      ['alice', 'export.create'],
    ]);
    expect(entries.every((e) => e.target.kind === 'export' && e.target.id === id)).toBe(true);
    expect(entries[4]!.changes).toEqual([
      { field: 'feeds.ios.secret', secret: true, after: 'changed' },
      { field: 'name', before: 'Brand A', after: 'Brand A (prod)' },
    ]);
    expect(entries[3]!.changes).toEqual([{ field: 'state', before: 'active', after: 'paused' }]);
    expect(entries[2]!.detail).toMatchObject({ generation: 1, from: '2026-01-01T00:00:00.000Z' });
    expect(entries[5]!.changes).toContainEqual({ field: 'name', before: null, after: 'Brand A' });
    expect(entries[5]!.changes).toContainEqual({ field: 'feeds.ios.secret', secret: true, after: 'changed' });
    expect(entries[1]!.detail).toMatchObject({ results: [{ key: 'ios-key', accepted: true }] });

    const text = JSON.stringify(log.body);
    const stored = readdirSync(t.dir)
      .filter((f) => f.startsWith('currents.db'))
      .map((f) => readFileSync(join(t.dir, f)).toString('latin1'))
      .join('');
    for (const secret of ['first-secret-value', 'second-secret-value']) {
      expect(text).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });

  it('records sources, tokens and quarantine retries; filters by time; says what to fix in a bad query', async () => {
    const source = await call('POST', '/v1/sources', ADMIN_TOKEN, { name: 'Brand B', kind: 'http' });
    const sid = source.body.id as string;
    await call('POST', `/v1/sources/${sid}/token`, ADMIN_TOKEN, {});
    await call('PATCH', `/v1/sources/${sid}`, ADMIN_TOKEN, { name: 'Brand B (EU)' });
    await call('POST', '/v1/quarantine/retry', ADMIN_TOKEN, {});
    const made = await call('POST', '/v1/tokens', ADMIN_TOKEN, { name: 'ci', role: 'viewer' });
    await call('DELETE', `/v1/tokens/${made.body.id}`, ADMIN_TOKEN);

    const all = (await call('GET', '/v1/audit', ADMIN_TOKEN)).body.entries as Entry[];
    expect(all.map((e) => e.action)).toEqual([
      'token.revoke',
      'token.create',
      'quarantine.retry',
      'source.update',
      'source.token',
      'source.create',
    ]);
    expect(all.every((e) => e.token === 'admin (built-in)')).toBe(true);
    expect(all[4]!.changes).toEqual([{ field: 'token', secret: true, after: 'changed' }]);
    expect(all[3]!.changes).toEqual([{ field: 'name', before: 'Brand B', after: 'Brand B (EU)' }]);
    const bySource = (await call('GET', `/v1/audit?source=${sid}`, ADMIN_TOKEN)).body.entries as unknown[];
    expect(bySource).toHaveLength(3);

    const future = (await call('GET', '/v1/audit?since=2999-01-01T00:00:00Z', ADMIN_TOKEN)).body;
    expect(future.entries).toEqual([]);
    const page = (await call('GET', '/v1/audit?limit=4', ADMIN_TOKEN)).body;
    expect(page.entries).toHaveLength(4);
    const rest = (await call('GET', `/v1/audit?limit=4&before=${page.next_before}`, ADMIN_TOKEN)).body;
    expect(rest.entries!.map((e) => e.action)).toEqual(['source.token', 'source.create']);

    const bad = await call('GET', '/v1/audit?since=yesterday', ADMIN_TOKEN);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('since: give a date and time');
  });

  it("records a bucket source's credential change by its API name, never its value", async () => {
    const created = await call('POST', '/v1/sources', ADMIN_TOKEN, {
      name: 'Brand C bucket',
      kind: 's3',
      bucket: 'braze-currents',
      region: 'eu-west-1',
      access_key_id: 'AKIAEXAMPLE',
      secret_access_key: 'first-bucket-secret',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sid = created.body.id as string;
    const patched = await call('PATCH', `/v1/sources/${sid}`, ADMIN_TOKEN, {
      secret_access_key: 'second-bucket-secret',
      region: 'eu-central-1',
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const entries = (await call('GET', `/v1/audit?source=${sid}`, ADMIN_TOKEN)).body.entries!;
    expect(entries[0]!.changes).toEqual([
      { field: 'region', before: 'eu-west-1', after: 'eu-central-1' },
      { field: 'secret_access_key', secret: true, after: 'changed' },
    ]);
    expect(entries[1]!.changes).toContainEqual({ field: 'secret_access_key', secret: true, after: 'changed' });
    const text = JSON.stringify(entries);
    expect(text).not.toContain('first-bucket-secret');
    expect(text).not.toContain('second-bucket-secret');
  });
});
