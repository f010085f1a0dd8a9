import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { adminHeaders, INGEST_TOKEN, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * An export that takes some sources only, in-process over a real SQLite file with no sender running: what its view,
 * its status and the trace of an event say.
 */

const SEND = 'users.messages.email.Send';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
  await t.engine.stop();
  for (const id of ['brand-a', 'brand-b']) {
    const res = await admin('POST', '/v1/sources', { id, name: `Brand ${id.slice(-1).toUpperCase()}`, kind: 'http' });
    expect(res.statusCode).toBe(201);
  }
});
afterEach(async () => {
  await t.close();
});

function admin(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) {
  return t.app.inject({ method, url, headers: adminHeaders, ...(payload !== undefined ? { payload } : {}) });
}

const exportBody = (over: Record<string, unknown> = {}) => ({
  name: 'Brand A only',
  contact_email: 'data@example.com',
  destination: { base_url: 'http://127.0.0.1:9' },
  feeds: { unbound: { key: 'k', secret: 's' } },
  events: [SEND],
  ...over,
});

async function push(source: string, ids: string[]) {
  const events = ids.map((id) => sampleEvent(SEND, { id, externalUserId: `user-${id}` }));
  const res = await t.app.inject({
    method: 'POST',
    url: `/v1/currents?source=${source}`,
    headers: pushHeaders(INGEST_TOKEN),
    payload: { events },
  });
  expect(res.statusCode).toBe(200);
}

describe('an export of some sources', () => {
  it('names only sources that exist, and shows its list (null: every source)', async () => {
    const refused = await admin('POST', '/v1/exports', exportBody({ sources: ['brand-a', 'brand-z'] }));
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ fields: Record<string, string> }>().fields).toEqual({
      'sources.1': 'there is no source brand-z: GET /v1/sources lists them',
    });
    const empty = await admin('POST', '/v1/exports', exportBody({ sources: [] }));
    expect(empty.json<{ fields: Record<string, string> }>().fields.sources).toMatch(/leave "sources" out/);

    const created = await admin('POST', '/v1/exports', exportBody({ sources: ['brand-a', 'brand-a'] }));
    expect(created.statusCode).toBe(201);
    const { id, sources } = created.json<{ id: string; sources: string[] | null }>();
    expect(sources).toEqual(['brand-a']);
    expect((await admin('PATCH', `/v1/exports/${id}`, { sources: ['brand-a', 'default'] })).json()).toMatchObject({
      sources: ['brand-a', 'default'],
    });
    expect((await admin('PATCH', `/v1/exports/${id}`, { sources: ['nope'] })).statusCode).toBe(400);
    expect((await admin('PATCH', `/v1/exports/${id}`, { sources: null })).json()).toMatchObject({ sources: null });
    expect((await admin('POST', '/v1/exports', exportBody())).json()).toMatchObject({ sources: null });
  });

  it('counts as waiting only the events of its sources, and shows per source what arrived and what waits', async () => {
    const created = await admin('POST', '/v1/exports', exportBody({ sources: ['brand-a'] }));
    const id = created.json<{ id: string }>().id;
    await push('brand-a', ['a-1', 'a-2']);
    await push('brand-b', ['b-1', 'b-2', 'b-3']);
    // Cursors are made when the export starts its lanes; the engine is stopped, so make them as it would.
    await t.store.putCursors(
      Array.from({ length: t.config.partitions }, (_, partition) => ({
        exportId: id,
        feed: 'unbound',
        partition,
        generation: 0,
        seq: 0,
        inflight: null,
        passed: [],
      })),
    );
    await admin('POST', '/v1/sources/brand-a/pause');

    const status = (await admin('GET', `/v1/exports/${id}/status`)).json<{
      feeds: { backlog_events: number }[];
      sources: Record<string, unknown>[];
      all_sources: boolean;
      warnings: string[];
    }>();
    expect(status.feeds[0]!.backlog_events).toBe(2);
    expect(status.all_sources).toBe(false);
    expect(status.sources).toEqual([
      {
        id: 'brand-a',
        name: 'Brand A',
        kind: 'http',
        state: 'paused',
        received_events: 2,
        last_received_at: expect.any(String),
        newest_event_time: expect.any(String),
        lag_seconds: expect.any(Number),
        backlog_events: 2,
        oldest_waiting_at: expect.any(String),
      },
    ]);
    expect(status.warnings).toContain(
      'source brand-a (Brand A) is paused: it takes no new events until it is resumed.',
    );

    await admin('PATCH', `/v1/exports/${id}`, { sources: null });
    const all = (await admin('GET', `/v1/exports/${id}/status`)).json<{
      feeds: { backlog_events: number }[];
      sources: { id: string; backlog_events: number }[];
    }>();
    expect(all.feeds[0]!.backlog_events).toBe(5);
    expect(all.sources.map((s) => [s.id, s.backlog_events])).toEqual([
      ['default', 0],
      ['brand-a', 2],
      ['brand-b', 3],
    ]);
  });

  it('files its test events under a source it takes, so that it reads them', async () => {
    const created = await admin('POST', '/v1/exports', exportBody({ sources: ['brand-a'] }));
    const id = created.json<{ id: string }>().id;
    const sent = await admin('POST', `/v1/exports/${id}/test-events`, {});
    expect(sent.statusCode).toBe(202);
    const [first] = sent.json<{ sent: { id: string }[] }>().sent;
    const trace = (await t.app.inject({ url: `/v1/events/${first!.id}`, headers: adminHeaders })).json<{
      log: { source: string };
      exports: { fate: string }[];
    }>();
    expect(trace.log.source).toBe('brand-a');
    expect(trace.exports[0]!.fate).toBe('waiting');
  });

  it('traces an event of another source as not taken, naming its source', async () => {
    await admin('POST', '/v1/exports', exportBody({ sources: ['brand-a'] }));
    await push('brand-b', ['b-1']);
    const trace = (await t.app.inject({ url: '/v1/events/b-1', headers: adminHeaders })).json<{
      log: { source: string; source_name: string };
      exports: { fate: string; message: string }[];
    }>();
    expect(trace.log).toMatchObject({ source: 'brand-b', source_name: 'Brand B' });
    expect(trace.exports[0]).toMatchObject({
      fate: 'source_not_selected',
      message: expect.stringMatching(/came from source brand-b.*takes events from brand-a only/),
    });
  });
});
