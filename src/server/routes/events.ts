import { z } from 'zod';
import type { Store } from '../../store/port.js';
import type { Api } from '../api.js';
import { HttpError } from '../errors.js';
import { traceEvent } from '../exports/trace.js';

const FATES = [
  'source_not_selected',
  'not_selected',
  'test_of_other_export',
  'before_start',
  'no_feed',
  'skipped',
  'waiting',
  'in_flight',
  'dead_lettered',
  'delivered',
  'delivered_or_dropped',
] as const;

const traceView = z.object({
  event_id: z.string(),
  log: z.object({
    seq: z.number().int(),
    partition: z.number().int(),
    source: z.string().describe('the source it came from'),
    source_name: z.string().nullable().describe('null when the source was deleted since'),
    type: z.string(),
    time: z.string(),
    received_at: z.string(),
    external_user_id: z.string().nullable(),
    platform: z.string().nullable(),
    app_id: z.string().nullable(),
  }),
  event: z.unknown().describe('the event as stored (the flat form of Braze storage files)'),
  exports: z.array(
    z.object({
      export_id: z.string(),
      export_name: z.string(),
      fate: z.enum(FATES),
      message: z.string(),
      feed: z.string().nullable(),
      cursor: z.number().int().nullable(),
      drop_deadline: z.string().nullable(),
      dead_letters: z.array(
        z.object({
          id: z.number().int(),
          status: z.number().int().nullable(),
          error: z.string(),
          created_at: z.string(),
        }),
      ),
      mparticle: z
        .object({ envelope: z.unknown(), event: z.unknown() })
        .nullable()
        .describe('what this export maps the event to, with its settings as they are now'),
    }),
  ),
});

/** What became of one event: where it is in the log and, per export, its fate (admin token). */
export function registerEventRoutes(api: Api, deps: { store: Store; now: () => number }): void {
  api.route({
    method: 'GET',
    url: '/v1/events/:id',
    tag: 'events',
    summary: 'Trace one event by its Currents id: the log row, and per export its fate and mParticle mapping',
    auth: 'viewer',
    params: z.object({ id: z.string().min(1).max(200).describe('the Currents event id') }),
    responses: {
      200: { description: 'the event and its fate in each export', schema: traceView },
      404: { description: 'the log does not hold an event with this id' },
    },
    handler: async ({ params }) => {
      const row = await deps.store.findEvent(params.id);
      if (row === null) {
        throw new HttpError(
          404,
          'not_found',
          `the log holds no event with id ${params.id}: it was never received, was refused at ingest ` +
            '(GET /v1/quarantine lists those), or retention removed it after every export had passed it',
        );
      }
      return traceEvent(row, deps.store, deps.now());
    },
  });
}
