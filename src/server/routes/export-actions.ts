import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { eventType } from '../../catalog/catalog.js';
import { sampleEvent } from '../../catalog/sample.js';
import { toNewEvent } from '../../ingest/normalize.js';
import type { Credentials } from '../../mparticle/index.js';
import type { CurrentsEvent, Slot } from '../../types.js';
import { DEFAULT_SOURCE, SLOTS } from '../../types.js';
import type { Api } from '../api.js';
import { HttpError } from '../errors.js';
import { idParams, idsBody, testCredentialsBody, testEventsBody } from '../exports/schemas.js';
import { loadExport, type ExportRouteDeps } from './exports.js';
import { credentialChecks, deadLetterPage, seriesView, testEventsResult } from '../schemas/export-actions.js';

/** What an export's page can do besides editing: check keys, send test events, dead letters, the chart (replays: replays.ts). */
export function registerExportActions(api: Api, deps: ExportRouteDeps & { partitions: number }): void {
  const { store, engine } = deps;

  api.route({
    method: 'POST',
    url: '/v1/test-credentials',
    tag: 'exports',
    summary: 'Send an empty request per feed and report which keys mParticle accepts (before creating an export)',
    auth: 'operator',
    body: testCredentialsBody,
    responses: { 200: { description: 'one result per distinct key', schema: credentialChecks } },
    handler: async ({ body, request }) => {
      const feeds = await engine.testCredentials(body.destination, body.feeds);
      await deps.audit.record(request, {
        action: 'credentials.test',
        targetKind: 'credentials',
        targetId: null,
        detail: { results: feeds.map((f) => ({ slots: f.slots, key: f.key, accepted: f.accepted, status: f.status })) },
      });
      return { feeds };
    },
  });

  api.route({
    method: 'POST',
    url: '/v1/exports/:id/test-credentials',
    tag: 'exports',
    summary: "Check an export's stored credentials (or replacements given in the body) against mParticle",
    auth: 'operator',
    params: idParams,
    body: z
      .object({
        // partialRecord: zod 4's record over an enum demands every key, and a caller replaces only some feeds.
        feeds: z
          .partialRecord(
            z.enum(['ios', 'android', 'web', 'unbound']),
            z.object({ key: z.string().min(1), secret: z.string().min(1) }),
          )
          .optional(),
      })
      .strict(),
    responses: { 200: { description: 'one result per distinct key', schema: credentialChecks } },
    handler: async ({ params, body, request }) => {
      const record = await loadExport(store, params.id);
      const feeds: Partial<Record<Slot, Credentials>> = {};
      for (const slot of SLOTS) {
        const given = body.feeds?.[slot];
        const stored = record.feeds[slot];
        if (given) feeds[slot] = given;
        else if (stored) feeds[slot] = { key: stored.key, secret: deps.secrets.decrypt(stored.secretEnc) };
      }
      const results = await engine.testCredentials(record.destination, feeds);
      await deps.audit.record(request, {
        action: 'export.test_credentials',
        targetKind: 'export',
        targetId: record.id,
        detail: {
          given: Object.keys(body.feeds ?? {}),
          results: results.map((f) => ({ slots: f.slots, key: f.key, accepted: f.accepted, status: f.status })),
        },
      });
      return { feeds: results };
    },
  });

  api.route({
    method: 'POST',
    url: '/v1/exports/:id/test-events',
    tag: 'exports',
    summary: 'Send one event of each selected type, with placeholder values, through the real pipeline',
    auth: 'operator',
    params: idParams,
    body: testEventsBody,
    responses: {
      202: { description: 'the test events were stored; they reach this export only', schema: testEventsResult },
    },
    handler: async ({ params, body, reply, request }) => {
      const record = await loadExport(store, params.id);
      const types = body.types ?? record.events;
      const refused = types.filter((t) => !record.events.includes(t));
      if (refused.length > 0) {
        const message = `${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} not selected in this export: send only its types, or add them to its events first`;
        throw new HttpError(400, 'invalid_request', message, { fields: { types: message } });
      }
      const platform = (['ios', 'android', 'web'] as const).find((p) => record.feeds[p] !== undefined) ?? 'ios';
      const now = deps.now();
      const events = types.map((type) => {
        const event = sampleEvent(type, {
          externalUserId: body.external_user_id,
          platform,
          appId: `test-app-${platform}`,
          extra: { currents_test_export_id: record.id },
        }) as CurrentsEvent;
        // Filed under a source the export takes, so that it reads them (the first it names, else `default`).
        return toNewEvent(event, now, deps.partitions, record.sources?.[0] ?? DEFAULT_SOURCE);
      });
      const appended = await store.append(events);
      engine.wake();
      await deps.audit.record(request, {
        action: 'export.test_events',
        targetKind: 'export',
        targetId: record.id,
        detail: { types, external_user_id: body.external_user_id, stored: appended.stored },
      });
      return reply.code(202).send({
        sent: types.map((type, i) => ({
          type,
          id: events[i]!.eventId,
          mparticle_name: record.eventNames[type] ?? eventType(type)?.mparticle?.eventName ?? null,
        })),
        stored: appended.stored,
      });
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/exports/:id/dead-letters',
    tag: 'dead letters',
    summary: 'Batches mParticle refused, with the payload and its error',
    auth: 'viewer',
    params: idParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      after: z.coerce.number().int().min(0).default(0),
    }),
    responses: { 200: { description: 'a page of dead letters', schema: deadLetterPage } },
    handler: async ({ params, query }) => {
      await loadExport(store, params.id);
      const letters = await store.listDeadLetters(params.id, { limit: query.limit, afterId: query.after });
      return {
        total: await store.countDeadLetters(params.id),
        dead_letters: letters.map((d) => ({
          id: d.id,
          feed: d.feed,
          status: d.status,
          error: d.error,
          event_ids: d.eventIds,
          types: d.types,
          attempts: d.attempts,
          created_at: new Date(d.createdAt).toISOString(),
          last_attempt_at: d.lastAttemptAt === null ? null : new Date(d.lastAttemptAt).toISOString(),
          batch: JSON.parse(d.batch) as unknown,
        })),
      };
    },
  });

  const retryDeadLetters = async (request: FastifyRequest, exportId: string, ids: readonly number[] | 'all') => {
    await loadExport(store, exportId);
    const result = await engine.retryDeadLetters(exportId, ids);
    await deps.audit.record(request, {
      action: 'export.dead_letters.retry',
      targetKind: 'export',
      targetId: exportId,
      detail: { ids, delivered: result.delivered, failed: result.failed.length },
    });
    return { delivered: result.delivered, failed: result.failed };
  };

  api.route({
    method: 'POST',
    url: '/v1/exports/:id/dead-letters/retry',
    tag: 'dead letters',
    summary: 'Send dead letters again: the ids given, or all',
    auth: 'operator',
    params: idParams,
    body: idsBody,
    responses: { 200: { description: 'how many were delivered, and the errors of the others' } },
    handler: async ({ params, body, request }) => retryDeadLetters(request, params.id, body.ids ?? 'all'),
  });

  api.route({
    method: 'POST',
    url: '/v1/exports/:id/dead-letters/:letter/retry',
    tag: 'dead letters',
    summary: 'Send one dead letter again',
    auth: 'operator',
    params: z.object({ id: z.string().min(1), letter: z.coerce.number().int().positive() }),
    responses: { 200: { description: 'delivered or the new error' } },
    handler: async ({ params, request }) => retryDeadLetters(request, params.id, [params.letter]),
  });

  api.route({
    method: 'GET',
    url: '/v1/exports/:id/series',
    tag: 'exports',
    summary: 'Delivered events per minute and feed, for the chart',
    auth: 'viewer',
    params: idParams,
    query: z.object({ hours: z.coerce.number().positive().max(168).default(3) }),
    responses: { 200: { description: 'points per feed and minute', schema: seriesView } },
    handler: async ({ params, query }) => {
      await loadExport(store, params.id);
      const since = deps.now() - query.hours * 3_600_000;
      const points = await store.deliverySeries(params.id, since);
      return { since: new Date(since).toISOString(), points };
    },
  });
}
