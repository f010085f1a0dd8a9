import { z } from 'zod';
import type { Api } from '../api.js';
import { HttpError } from '../errors.js';
import { idParams, replayBody } from '../exports/schemas.js';
import { listReplayViews, parseRange, previewReplay } from '../exports/replays.js';
import { replayPreviewView, replayView } from '../schemas/replays.js';
import { loadExport, type ExportRouteDeps } from './exports.js';

const rangeQuery = z.object({
  from: z.string().optional().describe('start of the event-time range (ISO 8601 with its zone, or a date)'),
  to: z.string().optional().describe('end of the range (inclusive); default now'),
});

/** Re-sending a time range of the log: what it would send, asking for it, and each replay's progress. */
export function registerReplayRoutes(api: Api, deps: ExportRouteDeps & { partitions: number }): void {
  const { store, engine } = deps;

  api.route({
    method: 'GET',
    url: '/v1/exports/:id/replay-preview',
    tag: 'replays',
    summary: "How many events the log holds for a time range and this export's types and sources (before a replay)",
    auth: 'viewer',
    params: idParams,
    query: rangeQuery,
    responses: {
      200: {
        description: 'the range as understood, and the events a replay of it would re-send',
        schema: replayPreviewView,
      },
    },
    handler: async ({ params, query }) => {
      const record = await loadExport(store, params.id);
      const range = parseRange(query.from, query.to, deps.now());
      return previewReplay(store, record, range, deps.partitions);
    },
  });

  api.route({
    method: 'POST',
    url: '/v1/exports/:id/replay',
    tag: 'replays',
    summary: 'Re-send what the log still holds for a time range (its own source_request_id generation)',
    auth: 'operator',
    params: idParams,
    body: replayBody,
    responses: {
      202: { description: 'the replay started; its progress is at GET /v1/exports/:id/replays', schema: replayView },
    },
    handler: async ({ params, body, reply, request }) => {
      const record = await loadExport(store, params.id);
      const range = parseRange(body.from, body.to, deps.now());
      // The store numbers the replay: requests arriving together each get a generation of their own.
      const replay = await store.createReplay({
        exportId: record.id,
        ...range,
        uptoSeq: await store.headSeq(),
        createdAt: deps.now(),
      });
      await deps.audit.record(request, {
        action: 'export.replay',
        targetKind: 'export',
        targetId: record.id,
        detail: {
          generation: replay.generation,
          from: new Date(range.fromTime * 1000).toISOString(),
          to: new Date(range.toTime * 1000).toISOString(),
        },
      });
      await engine.refresh();
      const views = await listReplayViews(store, record, deps.partitions, deps.now());
      const view = views.find((v) => v.generation === replay.generation);
      return reply.code(202).send({ ...view, generation: replay.generation, upto_seq: replay.uptoSeq });
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/exports/:id/replays',
    tag: 'replays',
    summary: "An export's replays with their progress: events to send, sent, outcomes, state, start and finish",
    auth: 'viewer',
    params: idParams,
    responses: { 200: { description: 'replays, newest first', schema: z.object({ replays: z.array(replayView) }) } },
    handler: async ({ params }) => {
      const record = await loadExport(store, params.id);
      const views = await listReplayViews(store, record, deps.partitions, deps.now());
      return { replays: views.reverse() };
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/exports/:id/replays/:generation',
    tag: 'replays',
    summary: 'One replay with its progress',
    auth: 'viewer',
    params: z.object({ id: z.string().min(1), generation: z.coerce.number().int().positive() }),
    responses: { 200: { description: 'the replay', schema: replayView }, 404: { description: 'no such replay' } },
    handler: async ({ params }) => {
      const record = await loadExport(store, params.id);
      const views = await listReplayViews(store, record, deps.partitions, deps.now());
      const view = views.find((v) => v.generation === params.generation);
      if (view === undefined) {
        throw new HttpError(
          404,
          'not_found',
          `export ${record.id} has no replay ${params.generation}; GET /v1/exports/${record.id}/replays lists them`,
        );
      }
      return view;
    },
  });
}
