import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import {
  adminHeaders,
  allRows,
  INGEST_TOKEN,
  pushHeaders,
  startTestApp,
  type TestApp,
  type TestAppOptions,
} from '../helpers/app.js';
import { batch, nestedEvent } from '../helpers/events.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { servedRoutes } from '../helpers/routes.js';

/** Health, readiness, metrics, the OpenAPI document, the quarantine API and settings errors, in-process. */

let current: TestApp | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function start(options: TestAppOptions = {}): Promise<TestApp> {
  current = await startTestApp(options);
  return current;
}

const push = (t: TestApp, events: unknown[], headers = pushHeaders()) =>
  t.app.inject({ method: 'POST', url: '/v1/currents', headers, payload: JSON.stringify({ events }) });

/** An operator's fix of a quarantined record's text, made in the database file (the port has no such call). */
function rewriteRaw(t: TestApp, id: number, raw: string): void {
  const db = new Database(t.dbPath);
  try {
    db.prepare('UPDATE quarantine SET raw = ? WHERE id = ?').run(raw, id);
  } finally {
    db.close();
  }
}

async function scrape(t: TestApp) {
  const res = await t.app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return parsePrometheus(res.body);
}

describe('health and readiness', () => {
  it('answers /healthz without a token', async () => {
    const t = await start();
    const res = await t.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when the store answers and the disk has room, and says how much is free', async () => {
    const t = await start();
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ status: string; checks: { store: string; disk_free_mb: number } }>();
    expect(body.status).toBe('ready');
    expect(body.checks.store).toBe('ok');
    expect(body.checks.disk_free_mb).toBeGreaterThan(0);
  });

  it('is not ready (503, Retry-After) once the store is closed', async () => {
    const t = await start();
    await t.store.close();
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    const body = res.json<{ status: string; checks: { store: string }; problems: string[] }>();
    expect(body.status).toBe('not_ready');
    expect(body.checks.store).toBe('unreachable');
    expect(body.problems.join('\n')).toMatch(/^store: .*closed/m);
  });

  it('is not ready when the store fails its ping, naming the problem', async () => {
    const t = await start({
      wrapStore: (store) => ({
        ...store,
        ping: () => Promise.reject(new StoreUnavailableError('the database file cannot be written')),
      }),
    });
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ problems: string[] }>().problems).toEqual(['store: the database file cannot be written']);
  });

  it('is not ready when the disk has less free space than the minimum', async () => {
    const t = await start({ env: { CURRENTS_MIN_FREE_DISK_MB: String(1024 * 1024 * 1024) } });
    const res = await t.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ problems: string[] }>().problems[0]).toMatch(/^disk: only \d+ MB free/);
  });
});

describe('GET /metrics', () => {
  it('counts requests by route and status, events accepted, duplicates, quarantined, the log and commits', async () => {
    const t = await start();
    const first = batch(10, 'm');
    expect((await push(t, first)).statusCode).toBe(200);
    expect((await push(t, [...first.slice(0, 3), nestedEvent(), 'bad', { id: 'worse' }])).statusCode).toBe(200);
    expect((await push(t, [], pushHeaders('a-wrong-token-a-wrong-token'))).statusCode).toBe(401);
    expect((await push(t, [])).statusCode).toBe(200);

    const samples = await scrape(t);
    const requests = (status: string) =>
      sampleValue(samples, 'currents_http_requests_total', { route: '/v1/currents', method: 'POST', status });
    expect(requests('200')).toBe(3);
    expect(requests('401')).toBe(1);
    expect(sampleValue(samples, 'currents_events_accepted_total', { source: 'default' })).toBe(11);
    expect(sampleValue(samples, 'currents_events_duplicate_total', { source: 'default' })).toBe(3);
    expect(sampleValue(samples, 'currents_events_quarantined_total', { source: 'default' })).toBe(2);
    expect(sampleValue(samples, 'currents_quarantine_records')).toBe(2);
    expect(sampleValue(samples, 'currents_log_events')).toBe(11);
    expect(sampleValue(samples, 'currents_log_bytes')).toBeGreaterThan(11 * 500);
    expect(sampleValue(samples, 'currents_log_head_seq')).toBeGreaterThanOrEqual(11);
    // The credentials check commits nothing, so two commits were timed.
    expect(sampleValue(samples, 'currents_commit_seconds_count')).toBe(2);
    expect(sampleValue(samples, 'currents_commit_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(sampleValue(samples, 'currents_commit_seconds_sum')).toBeGreaterThan(0);
  });

  it('carries no token', async () => {
    const t = await start();
    await push(t, batch(1));
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.body).not.toContain(INGEST_TOKEN);
  });
});

describe('GET /openapi.json', () => {
  it('documents every API route the app serves, and nothing it does not serve', async () => {
    const t = await start();
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{([A-Za-z_]+)\}/g, ':$1')}`),
      )
      .sort();
    // `/` and `/*` serve the dashboard's static files, not the API.
    const served = servedRoutes(t.app.printRoutes({ commonPrefix: false })).filter(
      (r) => r !== 'GET /' && r !== 'GET /*',
    );
    expect(documented).toEqual(served);
    expect(served).toContain('POST /v1/currents');
  });
});

describe('quarantine API', () => {
  async function quarantineSome(t: TestApp, count: number): Promise<string> {
    const res = await push(
      t,
      Array.from({ length: count }, (_, i) => ({ ...nestedEvent(), id: `q-${i}`, time: 'yesterday' })),
    );
    expect(res.json()).toMatchObject({ stored: 0 });
    return res.json<{ request_id: string }>().request_id;
  }

  it('needs the admin token', async () => {
    const t = await start();
    const res = await t.app.inject({ url: '/v1/quarantine', headers: { authorization: `Bearer ${INGEST_TOKEN}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json<{ error: string }>().error).toContain('admin token');
  });

  it('lists records with reason, source and raw text, page by page', async () => {
    const t = await start();
    const requestId = await quarantineSome(t, 5);
    const seen: number[] = [];
    let after = 0;
    for (let page = 0; page < 4; page++) {
      const res = await t.app.inject({ url: `/v1/quarantine?limit=2&after=${after}`, headers: adminHeaders });
      expect(res.statusCode).toBe(200);
      const body = res.json<{
        total: number;
        next_after: number | null;
        records: { id: number; reason: string; source: { requestId: string; index: number }; raw: string }[];
      }>();
      expect(body.total).toBe(5);
      for (const r of body.records) {
        seen.push(r.source.index);
        expect(r.source).toEqual({ kind: 'http', requestId, index: r.source.index, of: 5, sourceId: 'default' });
        expect(r.reason).toContain('field "time" must be an integer (got string)');
        expect(JSON.parse(r.raw)).toMatchObject({ id: `q-${r.source.index}`, time: 'yesterday' });
      }
      if (body.next_after === null) break;
      after = body.next_after;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a page size it does not serve, naming the parameter', async () => {
    const t = await start();
    const res = await t.app.inject({ url: '/v1/quarantine?limit=0', headers: adminHeaders });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toContain('limit');
  });

  it('retries: a record whose raw text was fixed is stored and leaves quarantine; one still invalid stays', async () => {
    const t = await start();
    await quarantineSome(t, 2);
    const [fixed, broken] = await t.store.listQuarantine({ limit: 10 });
    const corrected = { ...(JSON.parse(fixed!.raw) as Record<string, unknown>), time: 1_764_300_000 };
    rewriteRaw(t, fixed!.id, JSON.stringify(corrected));

    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/quarantine/retry',
      headers: adminHeaders,
      payload: { ids: [fixed!.id, broken!.id] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      retried: 2,
      stored: 1,
      duplicates: 0,
      still_quarantined: [{ id: broken!.id, reason: broken!.reason }],
    });
    expect((await allRows(t.store)).map((r) => r.eventId)).toEqual(['q-0']);
    expect((await t.store.listQuarantine({ limit: 10 })).map((r) => r.id)).toEqual([broken!.id]);

    // Retrying everything again changes nothing.
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/quarantine/retry',
      headers: adminHeaders,
      payload: {},
    });
    expect(again.json()).toMatchObject({ retried: 1, stored: 0, still_quarantined: [{ id: broken!.id }] });
  });

  it('retries a fixed record whose event meanwhile arrived again: a duplicate, and it leaves quarantine', async () => {
    const t = await start();
    const event = nestedEvent('users.messages.email.Send', { id: 'resent' });
    await push(t, [{ ...event, time: 'soon' }]);
    await push(t, [event]);
    const [record] = await t.store.listQuarantine({ limit: 1 });
    rewriteRaw(t, record!.id, JSON.stringify(event));
    const res = await t.app.inject({ method: 'POST', url: '/v1/quarantine/retry', headers: adminHeaders, payload: {} });
    expect(res.json()).toEqual({ retried: 1, stored: 0, duplicates: 1, still_quarantined: [] });
    expect(await t.store.countQuarantine()).toBe(0);
    expect(await allRows(t.store)).toHaveLength(1);
  });
});

describe('settings errors', () => {
  it('names the flag and the variable of a bad port and says how to fix it', () => {
    expect(() => loadConfig({ port: '70000' }, {})).toThrow(ConfigError);
    expect(() => loadConfig({ port: '70000' }, {})).toThrow(
      /fix these and start again:\n {2}--port or CURRENTS_PORT: /,
    );
    expect(() => loadConfig({}, { CURRENTS_PORT: 'http' })).toThrow(/--port or CURRENTS_PORT/);
  });

  it('names the variable of a token that is too short, without echoing the token', () => {
    let message = '';
    try {
      loadConfig({}, { CURRENTS_INGEST_TOKEN: 'short-secret', CURRENTS_ADMIN_TOKEN: 'tiny' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('CURRENTS_INGEST_TOKEN: must be at least 16 characters');
    expect(message).toContain('CURRENTS_ADMIN_TOKEN: must be at least 16 characters');
    expect(message).not.toContain('short-secret');
  });

  it('takes a group commit wait of up to a second, and names the variable of one beyond', () => {
    expect(loadConfig({}, {}).groupCommitMs).toBe(0);
    expect(loadConfig({}, { CURRENTS_GROUP_COMMIT_MS: '25' }).groupCommitMs).toBe(25);
    expect(() => loadConfig({}, { CURRENTS_GROUP_COMMIT_MS: '5000' })).toThrow(/ {2}CURRENTS_GROUP_COMMIT_MS: /);
  });

  it('holds reads for a batch wait of 100 ms unless told otherwise, up to 10 s, and names the variable of one beyond', () => {
    expect(loadConfig({}, {}).delivery.batchWaitMs).toBe(100);
    expect(loadConfig({}, { CURRENTS_BATCH_WAIT_MS: '0' }).delivery.batchWaitMs).toBe(0);
    expect(() => loadConfig({}, { CURRENTS_BATCH_WAIT_MS: '60000' })).toThrow(/ {2}CURRENTS_BATCH_WAIT_MS: /);
  });

  it('lists every problem at once', () => {
    expect(() => loadConfig({ port: '-1', sync: 'sometimes', partitions: '0' }, {})).toThrow(
      /--port or CURRENTS_PORT.*\n.*--partitions or CURRENTS_PARTITIONS.*\n.*--sync or CURRENTS_SQLITE_SYNC/,
    );
  });
});
