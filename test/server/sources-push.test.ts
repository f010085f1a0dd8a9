import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminHeaders, allRows, INGEST_TOKEN, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';
import { batch, nestedEvent } from '../helpers/events.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';

/**
 * Pushing to a source, in-process over a real SQLite file: with the source's own token, or with the ingest token and
 * `?source=<id>` (Braze's "extra GET parameter"), or as before with the ingest token alone (the source `default`).
 */

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
  await t.engine.stop();
});
afterEach(async () => {
  await t.close();
});

async function admin(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) {
  return t.app.inject({ method, url, headers: adminHeaders, ...(payload !== undefined ? { payload } : {}) });
}

async function createHttp(id: string): Promise<string> {
  const res = await admin('POST', '/v1/sources', { id, name: `Workspace ${id}`, kind: 'http' });
  expect(res.statusCode).toBe(201);
  return res.json<{ token: string }>().token;
}

function push(events: unknown[], token: string, query = '') {
  return t.app.inject({
    method: 'POST',
    url: `/v1/currents${query}`,
    headers: pushHeaders(token),
    payload: JSON.stringify({ events }),
  });
}

const sourcesOf = async () => Object.fromEntries((await allRows(t.store)).map((r) => [r.eventId, r.source]));

describe('POST /v1/currents files events under a source', () => {
  it("with the source's own token, with the ingest token and ?source=, and with the ingest token alone", async () => {
    const token = await createHttp('brand-a');
    await createHttp('brand-b');
    const [own, param, plain] = [batch(2, 'own'), batch(2, 'param'), batch(1, 'plain')];

    const byToken = await push(own, token);
    expect(byToken.statusCode).toBe(200);
    expect(byToken.json()).toMatchObject({ source: 'brand-a', stored: 2 });
    expect((await push(param, INGEST_TOKEN, '?source=brand-b')).json()).toMatchObject({ source: 'brand-b' });
    expect((await push(plain, INGEST_TOKEN)).json()).toMatchObject({ source: 'default', stored: 1 });
    // A source's token with its own id in the URL is fine too.
    expect((await push([], token, '?source=brand-a')).statusCode).toBe(200);

    expect(await sourcesOf()).toEqual({
      'own-0': 'brand-a',
      'own-1': 'brand-a',
      'param-0': 'brand-b',
      'param-1': 'brand-b',
      'plain-0': 'default',
    });
  });

  it('counts accepted, duplicate and quarantined events per source in the metrics', async () => {
    const token = await createHttp('brand-a');
    const bad = nestedEvent('users.messages.email.Send', { extra: { email_address: 5 } });
    await push([...batch(3, 'm'), bad], token);
    await push(batch(2, 'm'), token);
    await push(batch(1, 'd'), INGEST_TOKEN);
    const samples = parsePrometheus((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(sampleValue(samples, 'currents_events_accepted_total', { source: 'brand-a' })).toBe(3);
    expect(sampleValue(samples, 'currents_events_duplicate_total', { source: 'brand-a' })).toBe(2);
    expect(sampleValue(samples, 'currents_events_quarantined_total', { source: 'brand-a' })).toBe(1);
    expect(sampleValue(samples, 'currents_events_accepted_total', { source: 'default' })).toBe(1);
    // The quarantined event says where it came from, and a retry files it there.
    const [record] = await t.store.listQuarantine({ limit: 10 });
    expect(record!.source).toMatchObject({ kind: 'http', sourceId: 'brand-a' });
  });

  it('keeps an event once when two sources send it: the first source keeps it', async () => {
    const a = await createHttp('brand-a');
    const b = await createHttp('brand-b');
    const event = nestedEvent('users.messages.email.Send', { id: 'shared-1' });
    expect((await push([event], a)).json()).toMatchObject({ stored: 1, duplicates: [] });
    expect((await push([event], b)).json()).toMatchObject({ source: 'brand-b', stored: 0, duplicates: [0] });
    expect(await sourcesOf()).toEqual({ 'shared-1': 'brand-a' });
    const status = (await admin('GET', '/v1/sources/brand-b/status')).json<{ received_events: number }>();
    expect(status.received_events).toBe(0);
  });
});

describe('POST /v1/currents refuses, saying what to do', () => {
  it('an unknown ?source=, naming it and how to create it', async () => {
    const res = await push(batch(1), INGEST_TOKEN, '?source=brand-z');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      code: 'unknown_source',
      error: expect.stringMatching(/no source brand-z.*create/),
    });
  });

  it("a source's token with another source's id", async () => {
    const token = await createHttp('brand-a');
    await createHttp('brand-b');
    const res = await push(batch(1), token, '?source=brand-b');
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: string }>().error).toMatch(/belongs to source brand-a.*drop \?source=/);
  });

  it('a paused source with 503 and Retry-After (Braze keeps the events and retries), until it is resumed', async () => {
    const token = await createHttp('brand-a');
    expect((await admin('POST', '/v1/sources/brand-a/pause')).json()).toMatchObject({ state: 'paused' });
    for (const res of [await push(batch(1, 'p'), token), await push(batch(1, 'p'), INGEST_TOKEN, '?source=brand-a')]) {
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('60');
      expect(res.json<{ error: string }>().error).toMatch(/brand-a is paused.*\/v1\/sources\/brand-a\/resume/);
    }
    expect(await allRows(t.store)).toEqual([]);
    await admin('POST', '/v1/sources/brand-a/resume');
    expect((await push(batch(1, 'p'), token)).json()).toMatchObject({ stored: 1 });
  });

  it('pushes to a storage source, which reads a bucket instead', async () => {
    const created = await admin('POST', '/v1/sources', {
      id: 'bucket-a',
      name: 'Bucket',
      kind: 'gcs',
      bucket: 'currents',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).not.toHaveProperty('token');
    const res = await push(batch(1), INGEST_TOKEN, '?source=bucket-a');
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: string }>().error).toMatch(/reads files from gcs and takes no pushes/);
  });

  it("a deleted source's token and id; a new token replaces the old one at once", async () => {
    const token = await createHttp('brand-a');
    const rotated = await admin('POST', '/v1/sources/brand-a/token');
    const fresh = rotated.json<{ token: string }>().token;
    expect(fresh).not.toBe(token);
    expect((await push([], token)).statusCode).toBe(401);
    expect((await push([], fresh)).statusCode).toBe(200);

    expect((await admin('DELETE', '/v1/sources/brand-a')).statusCode).toBe(204);
    expect((await push([], fresh)).statusCode).toBe(401);
    expect((await push([], INGEST_TOKEN, '?source=brand-a')).statusCode).toBe(404);
  });

  it('a source created by another process (the CLI) is taken at once', async () => {
    // The ingest route has read the sources already; then one is made as `currents sources create` makes it:
    // straight into the store, not through this process's API.
    expect((await push([], INGEST_TOKEN)).statusCode).toBe(200);
    await t.store.createSource({
      id: 'from-cli',
      name: 'Made elsewhere',
      state: 'active',
      tokenHash: null,
      config: { kind: 'http' },
      createdAt: 1,
      updatedAt: 1,
    });
    expect((await push(batch(1, 'cli'), INGEST_TOKEN, '?source=from-cli')).json()).toMatchObject({
      source: 'from-cli',
      stored: 1,
    });
  });
});
