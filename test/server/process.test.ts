import { request } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { allRows } from '../helpers/app.js';
import { nestedEvent } from '../helpers/events.js';
import { assertBuilt, jsonLines, runCli, serve, tempFolder, type Served } from '../helpers/process.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { startPushing, waitFor } from '../helpers/pusher.js';

/** `currents serve` as a real process on a free port with a temporary data folder (needs `npm run build`). */

const DEFAULT_PARTITIONS = 16;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

beforeAll(() => assertBuilt());

async function dataFolder(): Promise<string> {
  const { dir, remove } = await tempFolder('currents-process-');
  cleanups.push(remove);
  return dir;
}

async function started(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const s = await serve(['--port', '0', ...args], env);
  cleanups.push(() => s.stop());
  return s;
}

/** A one-off HTTP request with no keep-alive, like `curl -X POST -H ... -d ...`. */
function curl(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('currents serve: tokens', { timeout: 90_000 }, () => {
  it('generates missing tokens on first start, prints them once, keeps them 0600, and never logs them', async () => {
    const data = await dataFolder();
    const first = await started(['--data', data, '--log-level', 'trace']);
    const printed = Object.fromEntries(
      [
        ...first.stdout().matchAll(/^Generated (ingest|admin) token \(CURRENTS_\w+\): (\S+) {2}\(kept in (.+)\)$/gm),
      ].map((m) => [m[1]!, { value: m[2]!, file: m[3]! }]),
    );
    expect(Object.keys(printed).sort()).toEqual(['admin', 'ingest']);
    const tokensPath = join(data, 'tokens.json');
    expect(printed.ingest!.file).toBe(tokensPath);
    const kept = JSON.parse(readFileSync(tokensPath, 'utf8')) as { ingest_token: string; admin_token: string };
    expect(kept).toEqual({ ingest_token: printed.ingest!.value, admin_token: printed.admin!.value });
    expect(statSync(tokensPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(data, 'secret.key')).mode & 0o777).toBe(0o600);
    const secretKey = readFileSync(join(data, 'secret.key'), 'utf8').trim();

    // Exercise the paths that see tokens: right, wrong and missing ones, on ingest and admin routes.
    const ingest = { authorization: `Bearer ${kept.ingest_token}`, 'content-type': 'application/json' };
    expect(
      (await curl(`${first.url}/v1/currents`, { method: 'POST', headers: ingest, body: '{"events":[]}' })).status,
    ).toBe(200);
    const wrong = { authorization: `Bearer ${kept.admin_token}`, 'content-type': 'application/json' };
    expect(
      (await curl(`${first.url}/v1/currents`, { method: 'POST', headers: wrong, body: '{"events":[]}' })).status,
    ).toBe(401);
    expect(
      (await curl(`${first.url}/v1/quarantine`, { headers: { authorization: `Bearer ${kept.ingest_token}` } })).status,
    ).toBe(401);
    expect(
      (await curl(`${first.url}/v1/exports`, { headers: { authorization: `Bearer ${kept.admin_token}` } })).status,
    ).toBe(200);
    expect(
      (await curl(`${first.url}/v1/currents`, { method: 'POST', headers: ingest, body: '{"events":[{' })).status,
    ).toBe(400);
    expect((await first.stop()).code).toBe(0);

    const second = await started(['--data', data, '--log-level', 'trace']);
    expect(second.stdout()).not.toContain('Generated');
    expect(second.stdout()).not.toContain(kept.ingest_token);
    expect(JSON.parse(readFileSync(tokensPath, 'utf8'))).toEqual(kept);
    const check = await curl(`${second.url}/v1/currents`, { method: 'POST', headers: ingest, body: '{"events":[]}' });
    expect(check.status).toBe(200);
    expect((await second.stop()).code).toBe(0);

    const logs = [...jsonLines(first.stdout()), ...jsonLines(second.stdout())];
    expect(logs.length).toBeGreaterThan(4);
    expect(logs.some((l) => l.msg === 'service started')).toBe(true);
    for (const line of logs.map((l) => JSON.stringify(l))) {
      for (const secret of [kept.ingest_token, kept.admin_token, secretKey]) expect(line).not.toContain(secret);
    }
    expect(first.stderr() + second.stderr()).not.toContain(kept.ingest_token);
  });

  it('uses tokens given in the environment, writes no token file for them, and prints none', async () => {
    const data = await dataFolder();
    const env = {
      CURRENTS_INGEST_TOKEN: 'env-ingest-token-0123456789abcdef',
      CURRENTS_ADMIN_TOKEN: 'env-admin-token-0123456789abcdef',
    };
    const s = await started(['--data', data], env);
    expect(s.stdout()).not.toMatch(/Generated (ingest|admin) token/);
    expect(s.stdout()).not.toContain(env.CURRENTS_INGEST_TOKEN);
    expect(existsSync(join(data, 'tokens.json'))).toBe(false);
    const res = await curl(`${s.url}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.CURRENTS_INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: '{"events":[]}',
    });
    expect(res.status).toBe(200);
  });
});

describe('currents serve: settings', { timeout: 90_000 }, () => {
  it('exits 2 on a bad port or a short token, naming the flag or variable and how to fix it', async () => {
    const data = await dataFolder();
    const badPort = await runCli(['serve', '--data', data, '--port', 'seventy']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('Invalid settings; fix these and start again');
    expect(badPort.stderr).toContain('--port or CURRENTS_PORT');
    const shortToken = await runCli(['serve', '--data', data, '--port', '0'], { CURRENTS_INGEST_TOKEN: 'abc123' });
    expect(shortToken.code).toBe(2);
    expect(shortToken.stderr).toContain('CURRENTS_INGEST_TOKEN: must be at least 16 characters');
    expect(shortToken.stderr).not.toContain('abc123');
  });

  it('exits 1 when the port is taken, saying how to choose another', async () => {
    const first = await started(['--data', await dataFolder()]);
    const port = new URL(first.url).port;
    const second = await runCli(['serve', '--data', await dataFolder(), '--port', port]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`currents: could not start: listen EADDRINUSE`);
    expect(second.stderr).toContain(`another process listens on 127.0.0.1:${port}: stop it, or choose another --port`);
  });

  it('serves on port 7700 by default, the way `npm start` runs it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toMatch(/^node (--[\w-]+=\S+ )*dist\/src\/cli\/main\.js serve$/);
    expect(loadConfig({}, {}).port).toBe(7700);
  });
});

describe('currents serve: a push as a user makes it', { timeout: 90_000 }, () => {
  it('stores a curl push of a sample event and shows it in /metrics', async () => {
    const data = await dataFolder();
    const token = 'curl-ingest-token-0123456789abcdef';
    const s = await started(['--data', data], { CURRENTS_INGEST_TOKEN: token });
    const event = nestedEvent('users.messages.pushnotification.Send', { id: 'curl-sample-1' });
    const res = await curl(`${s.url}/v1/currents`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'braze-currents-version': '1',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ events: [event] }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ received: 1, stored: 1, duplicates: [], quarantined: [] });

    const metrics = parsePrometheus((await curl(`${s.url}/metrics`)).body);
    expect(sampleValue(metrics, 'currents_events_accepted_total', { source: 'default' })).toBe(1);
    expect(sampleValue(metrics, 'currents_log_events')).toBe(1);
    expect(
      sampleValue(metrics, 'currents_http_requests_total', { route: '/v1/currents', method: 'POST', status: '200' }),
    ).toBe(1);
    expect(sampleValue(metrics, 'currents_commit_seconds_count')).toBe(1);
    expect((await curl(`${s.url}/readyz`)).status).toBe(200);

    expect((await s.stop()).code).toBe(0);
    const store = await openSqliteStore({ path: join(data, 'currents.db') });
    try {
      const rows = await allRows(store, DEFAULT_PARTITIONS);
      expect(rows.map((r) => r.eventId)).toEqual(['curl-sample-1']);
      expect(JSON.parse(rows[0]!.payload)).toMatchObject({ id: 'curl-sample-1', platform: 'ios' });
    } finally {
      await store.close();
    }
  });
});

describe('currents serve: graceful shutdown', { timeout: 90_000 }, () => {
  it('on SIGTERM answers the requests in flight, exits 0, and leaves a consistent store with every 2xx event', async () => {
    const data = await dataFolder();
    const token = 'drain-ingest-token-0123456789abcdef';
    const s = await started(['--data', data], { CURRENTS_INGEST_TOKEN: token, CURRENTS_LOG_LEVEL: 'info' });
    const pusher = startPushing({ url: s.url, token, connections: 8, prefix: 'drain' });
    await waitFor(() => pusher.answered2xx() >= 20, 20_000, '20 answered pushes');

    const signalledAt = Date.now();
    s.proc.kill('SIGTERM');
    const exit = await s.exited;
    await pusher.done;
    expect(exit).toEqual({ code: 0, signal: null });

    // Every request sent before the signal was answered: 200 when it was already inside, else 503 with
    // `Connection: close` while the service drained (even one the server had not read yet from a keep-alive
    // connection). Only requests sent after the drain, to a closed listener, fail to connect.
    const before = pusher.outcomes.filter((o) => o.startedAt < signalledAt);
    const inFlight = before.filter((o) => o.endedAt >= signalledAt);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.filter((o) => o.status === null)).toEqual([]);
    expect(before.every((o) => o.status === 200 || o.status === 503)).toBe(true);
    for (const o of pusher.outcomes) if (o.status !== null) expect([200, 503]).toContain(o.status);
    const logs = s.logLines();
    expect(logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
    expect(logs.filter((l) => (l.level as number) >= 50)).toEqual([]);

    const db = new Database(join(data, 'currents.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    const store = await openSqliteStore({ path: join(data, 'currents.db') });
    try {
      const stored = new Set((await allRows(store, DEFAULT_PARTITIONS)).map((r) => r.eventId));
      const acknowledged = pusher.acknowledged();
      expect(acknowledged.length).toBeGreaterThanOrEqual(2000);
      // No request was committed and then left without an answer.
      const unanswered = pusher.outcomes.filter((o) => o.status === null || o.status >= 300);
      expect(unanswered.flatMap((o) => o.ids).filter((id) => stored.has(id))).toEqual([]);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      expect((await store.stats()).events).toBe(stored.size);
    } finally {
      await store.close();
    }
  });
});
