import { z } from 'zod';

/**
 * What the exports API answers with. The routes document these in /openapi.json, the dashboard takes its types from
 * them (`import type`: this module imports nothing but zod), and test/server/response-schemas checks real answers
 * against them, so the three cannot drift.
 */

const SLOTS = ['ios', 'android', 'web', 'unbound'] as const;
const PHASES = ['flowing', 'retrying', 'credentials_rejected', 'paused'] as const;
const SOURCE_KINDS = ['http', 's3', 'azure_blob', 'gcs'] as const;
const iso = z.string().nullable();

export const feedView = z.object({
  key: z.string(),
  secret_set: z.boolean(),
});

export const exportView = z.object({
  id: z.string(),
  name: z.string(),
  contact_email: z.string(),
  destination: z.record(z.string(), z.string()).describe('{"pod": ...} or {"base_url": ...}'),
  environment: z.enum(['production', 'development']),
  feeds: z.object(
    Object.fromEntries(SLOTS.map((s) => [s, feedView.optional()])) as Record<
      (typeof SLOTS)[number],
      z.ZodOptional<typeof feedView>
    >,
  ),
  events: z.array(z.string()),
  identity: z.string(),
  event_names: z.record(z.string(), z.string()),
  merge_batches: z.boolean(),
  hold_window_hours: z.number(),
  rate_limit: z.number(),
  sources: z.array(z.string()).nullable().describe('null: every source'),
  transformations: z.array(z.object({ field: z.string(), action: z.enum(['remove', 'hash']) })),
  warnings: z
    .array(z.string())
    .describe('what to know about these settings, e.g. an identity mParticle will resolve users by its hash'),
  state: z.enum(['active', 'paused']),
  start_seq: z.number(),
  from: z
    .string()
    .nullable()
    .describe('where it started, as created: "now", "earliest" or a time (null for exports made before it was kept)'),
  created_at: z.string(),
  updated_at: z.string(),
});

export const feedStatusView = z.object({
  id: z.string(),
  slots: z.array(z.enum(SLOTS)),
  key: z.string(),
  state: z.enum(PHASES),
  held_since: iso,
  drop_deadline: iso,
  held_events: z.number(),
  backlog_events: z.number(),
  oldest_waiting_at: iso,
  last_delivery_at: iso,
  last_probe_at: iso,
  last_error: z.string().nullable(),
  rate_limit_percent_used: z.number().nullable(),
  partitions: z.array(
    z.object({
      partition: z.number(),
      cursor: z.number(),
      backlog_events: z.number(),
      in_flight_to: z.number().nullable(),
      owner: z.string().nullable().describe('the process holding its lease'),
      owner_since: iso,
    }),
  ),
});

export const typeStatusView = z.object({
  type: z.string(),
  mparticle_name: z.string().nullable(),
  selected: z.boolean(),
  delivered: z.number(),
  skipped_no_external_user_id: z.number(),
  dead_lettered: z.number(),
  dropped: z.number(),
  historical: z.number(),
});

/** What a source received, when, and how far behind now its newest event (or object) is. */
export const sourceFiguresView = z.object({
  received_events: z.number(),
  last_received_at: iso,
  newest_event_time: iso,
  lag_seconds: z.number().nullable(),
});

const totalsView = z.object({
  delivered: z.number(),
  skipped: z.number(),
  dead_lettered: z.number(),
  dropped: z.number(),
  historical: z.number(),
});

export const exportStatusView = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(['active', 'paused']),
  feeds: z.array(feedStatusView),
  event_types: z.array(typeStatusView),
  totals: totalsView,
  events_per_second: z.number(),
  dead_letters: z.number(),
  drops: z.array(
    z.object({
      feed: z.string(),
      type: z.string(),
      count: z.number(),
      first_event_time: iso,
      last_event_time: iso,
      reason: z.string(),
      dropped_at: iso,
    }),
  ),
  replays: z.array(z.object({ generation: z.number(), from: iso, to: iso, created_at: iso, finished_at: iso })),
  recent_errors: z.array(z.object({ feed: z.string(), message: z.string(), at: iso })),
  sources: z
    .array(
      sourceFiguresView.extend({
        id: z.string(),
        name: z.string(),
        kind: z.enum(SOURCE_KINDS),
        state: z.enum(['active', 'paused']),
        backlog_events: z.number(),
        oldest_waiting_at: iso,
      }),
    )
    .describe('the sources the export takes, with what each received and what waits for this export'),
  all_sources: z.boolean(),
  transformations: z
    .array(
      z.object({
        field: z.string(),
        action: z.enum(['remove', 'hash']),
        selected_types_with_field: z.number(),
        not_string: z.number(),
      }),
    )
    .describe(
      'each field transformation, the selected types having the field, and values left as they were (not text)',
    ),
  future_dated: z
    .object({
      events: z.number(),
      newest_event_time: iso,
      last_received_at: iso,
      by_source_type: z.array(
        z.object({ source: z.string(), type: z.string(), events: z.number(), newest_event_time: iso }),
      ),
    })
    .describe('events of its types and sources dated more than a day after their receipt (kept and sent)'),
  warnings: z.array(z.string()),
});

export const listedExportView = exportView.extend({
  feed_states: z.array(
    z.object({
      id: z.string(),
      state: z.enum(PHASES),
      backlog_events: z.number(),
      last_delivery_at: iso,
      drop_deadline: iso,
    }),
  ),
  events_per_second: z.number(),
  backlog_events: z.number(),
  last_delivery_at: iso,
  totals: totalsView,
});

export type ExportView = z.infer<typeof exportView>;
export type ListedExport = z.infer<typeof listedExportView>;
export type ExportStatus = z.infer<typeof exportStatusView>;
export type FeedStatus = z.infer<typeof feedStatusView>;
export type TypeStatus = z.infer<typeof typeStatusView>;
export type SourceFigures = z.infer<typeof sourceFiguresView>;
