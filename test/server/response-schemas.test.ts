import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { traceView } from '../../src/server/schemas/events.js';
import { exportStatusView, exportView, listedExportView } from '../../src/server/schemas/exports.js';
import { quarantinePage } from '../../src/server/schemas/quarantine.js';
import { catalogAnswer } from '../../src/server/schemas/catalog.js';
import { replayPreviewView, replayView } from '../../src/server/schemas/replays.js';
import {
  credentialChecks,
  deadLetterPage,
  seriesView,
  testEventsResult,
} from '../../src/server/schemas/export-actions.js';
import { listedSourceView, sourceStatusView } from '../../src/server/schemas/sources.js';
import { sourceView } from '../../src/server/sources/schemas.js';
import { adminHeaders, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';
import { nestedEvent } from '../helpers/events.js';

/**
 * The dashboard's types are the `z.infer` types of these response schemas: real answers must match them exactly,
 * no field missing or of another type, and none the schema does not describe (parsing drops unknown keys, so an
 * answer equal to its parse has none). A field added to an answer without its schema fails here.
 */

let current: TestApp | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

function matches(schema: z.ZodType, body: unknown): void {
  const parsed = schema.safeParse(body);
  expect(parsed.success ? 'ok' : parsed.error.message).toBe('ok');
  expect(parsed.data).toEqual(body);
}

describe('answers match the schemas the dashboard takes its types from', () => {
  it('exports, their list and status, an event trace, sources, their status, the catalog and the quarantine', async () => {
    const t = await startTestApp();
    current = t;
    const get = async (url: string) => {
      const res = await t.app.inject({ url, headers: adminHeaders });
      expect(res.statusCode, url).toBe(200);
      return res.json<unknown>();
    };
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/exports',
      headers: adminHeaders,
      payload: {
        name: 'Schemas',
        contact_email: 'ops@example.com',
        destination: { base_url: 'http://127.0.0.1:9' },
        feeds: { unbound: { key: 'k', secret: 's' }, ios: { key: 'i', secret: 's' } },
        events: ['users.messages.email.Send'],
      },
    });
    expect(created.statusCode).toBe(201);
    matches(exportView, created.json());
    const id = created.json<{ id: string }>().id;

    const event = nestedEvent('users.messages.email.Send', { id: 'schema-1' });
    const pushed = await t.app.inject({
      method: 'POST',
      url: '/v1/currents',
      headers: pushHeaders(),
      payload: JSON.stringify({ events: [event, { ...event, id: 'schema-bad', time: 'soon' }] }),
    });
    expect(pushed.statusCode).toBe(200);

    matches(exportView, await get(`/v1/exports/${id}`));
    const list = (await get('/v1/exports')) as { exports: unknown[] };
    expect(list.exports).toHaveLength(1);
    matches(listedExportView, list.exports[0]);
    matches(exportStatusView, await get(`/v1/exports/${id}/status`));
    matches(traceView, await get('/v1/events/schema-1'));
    matches(sourceView, await get('/v1/sources/default'));
    const sources = (await get('/v1/sources')) as { sources: unknown[] };
    for (const s of sources.sources) matches(listedSourceView, s);
    matches(sourceStatusView, await get('/v1/sources/default/status'));
    const catalog = (await get('/v1/catalog')) as { types: unknown[] };
    expect(catalog.types).toHaveLength(100);
    matches(catalogAnswer, catalog);
    matches(quarantinePage, await get('/v1/quarantine'));
    matches(deadLetterPage, await get(`/v1/exports/${id}/dead-letters`));
    matches(seriesView, await get(`/v1/exports/${id}/series`));
    const post = async (url: string, payload: Record<string, unknown>, status: number) => {
      const res = await t.app.inject({ method: 'POST', url, headers: adminHeaders, payload });
      expect(res.statusCode, url).toBe(status);
      return res.json<unknown>();
    };
    matches(testEventsResult, await post(`/v1/exports/${id}/test-events`, {}, 202));
    matches(credentialChecks, await post(`/v1/exports/${id}/test-credentials`, { feeds: {} }, 200));
    const from = new Date(Date.now() - 3_600_000).toISOString();
    matches(replayPreviewView, await get(`/v1/exports/${id}/replay-preview?from=${from}`));
    matches(replayView, await post(`/v1/exports/${id}/replay`, { from }, 202));
    const replays = (await get(`/v1/exports/${id}/replays`)) as { replays: unknown[] };
    expect(replays.replays).toHaveLength(1);
    matches(replayView, replays.replays[0]);
    matches(replayView, await get(`/v1/exports/${id}/replays/1`));
  });
});
