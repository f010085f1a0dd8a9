import { z } from 'zod';

/** What GET /v1/events/:id answers: one event and, per export, what became of it (types for the dashboard too). */

export const FATES = [
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

export const traceView = z.object({
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

export type Fate = (typeof FATES)[number];
export type EventTrace = z.infer<typeof traceView>;
