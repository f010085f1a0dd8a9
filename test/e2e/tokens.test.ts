import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, pgUnavailable, TEST_DATABASE_URL } from '../store/postgres-helper.js';
import { runCli } from '../helpers/process.js';
import { ADMIN, INGEST, startService, type Service } from './harness.js';
import type { Reply } from '../helpers/team-replies.js';

/**
 * Named tokens across processes: two service processes on one PostgreSQL schema (as a scaled-out installation runs
 * them). A token made through one works on the other; revoked through one (or with the CLI), it is refused by the
 * other on its very next request. Needs PostgreSQL (127.0.0.1:5432, db test): several processes share a store only
 * there; skipped, saying so, without it.
 */

const schema = freshSchema();
const env = {
  DATABASE_URL: TEST_DATABASE_URL,
  CURRENTS_DATABASE_SCHEMA: schema,
  CURRENTS_SECRET_KEY: 'tokens-test-secret-key-0123456789',
  CURRENTS_ROLE: 'ingest',
};

let a: Service;
let b: Service;

async function as(service: Service, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as Reply };
}

describe.skipIf(pgUnavailable !== null)(
  'tokens shared by several processes on one PostgreSQL',
  { timeout: 60_000 },
  () => {
    beforeAll(async () => {
      a = await startService({ env });
      b = await startService({ env });
    });
    afterAll(async () => {
      await Promise.all([a, b].map((s) => s?.stop()));
      for (const s of [a, b]) s?.cleanup();
      await dropSchema(schema);
    });

    it('a token revoked through one process is refused by the other on its next request', async () => {
      const made = await a.api<{ id: string; token: string }>('POST', '/v1/tokens', {
        name: 'ci-deploy',
        role: 'operator',
      });
      expect(made.status).toBe(201);
      const token = made.body.token;
      for (let i = 0; i < 5; i++) expect((await as(b, token, 'GET', '/v1/exports')).status).toBe(200);
      expect((await as(b, token, 'GET', '/v1/whoami')).body).toMatchObject({ name: 'ci-deploy', role: 'operator' });

      expect((await a.api('DELETE', `/v1/tokens/${made.body.id}`)).status).toBe(204);
      const refused = await as(b, token, 'GET', '/v1/exports');
      expect(refused.status).toBe(401);
      expect((await as(a, token, 'GET', '/v1/exports')).status).toBe(401);

      // The audit log, read through the other process, names who did it.
      const log = await b.api<{ entries: { token: string; action: string }[] }>('GET', '/v1/audit');
      expect(log.body.entries.slice(0, 2).map((e) => [e.token, e.action])).toEqual([
        ['admin (built-in)', 'token.revoke'],
        ['admin (built-in)', 'token.create'],
      ]);
    });

    it('a token made and revoked with the CLI works and then stops working in the running processes', async () => {
      const cliEnv = {
        DATABASE_URL: TEST_DATABASE_URL,
        CURRENTS_DATABASE_SCHEMA: schema,
        CURRENTS_SECRET_KEY: env.CURRENTS_SECRET_KEY,
        CURRENTS_ADMIN_TOKEN: ADMIN,
        CURRENTS_INGEST_TOKEN: INGEST,
      };
      const made = await runCli(['tokens', 'create', '--name', 'night-shift', '--role', 'viewer'], cliEnv);
      expect(made.code, made.stderr).toBe(0);
      const token = made.stdout.trim();
      expect(made.stderr).toContain('shown this once');
      expect((await as(a, token, 'GET', '/v1/exports')).status).toBe(200);
      expect((await as(b, token, 'POST', '/v1/quarantine/retry', {})).status).toBe(403);

      const listed = await runCli(['tokens', 'list', '--json'], cliEnv);
      const entry = listed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; name: string; role: string; last_used_at: string | null })
        .find((t) => t.name === 'night-shift')!;
      expect(entry.role).toBe('viewer');
      expect(entry.last_used_at).not.toBeNull();
      expect(listed.stdout).not.toContain(token);

      const revoked = await runCli(['tokens', 'revoke', entry.id], cliEnv);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect((await as(b, token, 'GET', '/v1/exports')).status).toBe(401);
      const audit = await runCli(['audit'], cliEnv);
      expect(audit.stdout).toMatch(/cli \([^)]+\)\s+token\.revoke\s+token tok_/);
    });
  },
);
