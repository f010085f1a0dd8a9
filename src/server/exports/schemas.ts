import { z } from 'zod';
import { eventType, MAPPABLE_TYPES } from '../../catalog/catalog.js';
import { transformationList } from './transformations.js';

/** Request and response shapes of the exports API. They validate requests and generate /openapi.json. */

export const PODS = ['US1', 'US2', 'EU1', 'AU1'] as const;
export const IDENTITIES = [
  'customer_id',
  'other',
  'email',
  'other_id_2',
  'other_id_3',
  'other_id_4',
  'other_id_5',
  'other_id_6',
  'other_id_7',
  'other_id_8',
  'other_id_9',
  'other_id_10',
] as const;

const destination = z.union([
  z.object({ pod: z.enum(PODS).describe('mParticle pod: US1, US2, EU1 or AU1') }).strict(),
  z
    .object({
      base_url: z
        .url({ protocol: /^https?$/ })
        .describe('full base URL of an Events API (the sandbox, a proxy), without /v2'),
    })
    .strict(),
]);

const credentials = z
  .object({
    key: z.string().trim().min(1, 'the server-to-server key is required'),
    secret: z.string().min(1, 'the server-to-server secret is required'),
  })
  .strict();

const feedPatch = z
  .object({
    key: z.string().trim().min(1, 'the key cannot be empty').optional(),
    secret: z.string().min(1, 'the secret cannot be empty').optional(),
  })
  .strict()
  .nullable()
  .describe('new key and/or secret; null removes the feed');

const eventList = z
  .array(z.string())
  .min(1, 'select at least one event type')
  .superRefine((types, ctx) => {
    for (const [i, t] of types.entries()) {
      const info = eventType(t);
      if (info === undefined) {
        ctx.addIssue({ code: 'custom', path: [i], message: `${t} is not a Currents event type` });
      } else if (info.mparticle === null) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `${t} has no mParticle mapping and cannot be exported to mParticle`,
        });
      }
    }
  })
  .describe(`Currents event types to send; each must have an mParticle mapping (${MAPPABLE_TYPES.length} do)`);

const eventNames = z
  .record(z.string(), z.string().trim().min(1).max(200))
  .superRefine((names, ctx) => {
    for (const t of Object.keys(names)) {
      if (eventType(t)?.mparticle == null) {
        ctx.addIssue({ code: 'custom', path: [t], message: `${t} is not an event type with an mParticle mapping` });
      }
    }
  })
  .describe("event type -> mParticle event name, overriding Braze's names");

const sourceList = z
  .array(z.string().min(1, 'give a source id'))
  .min(1, 'name at least one source, or leave "sources" out to take every source')
  .describe('only events from these sources (ids, see GET /v1/sources); absent: every source, also those added later');

const from = z
  .union([z.literal('now'), z.literal('earliest'), z.iso.datetime({ offset: true })])
  .describe(
    'where delivery starts: "now" (the log position at creation), "earliest", or a time (events received since)',
  );

export const feedsCreate = z
  .object({
    ios: credentials.optional(),
    android: credentials.optional(),
    web: credentials.optional(),
    unbound: credentials.optional(),
  })
  .strict()
  .refine((f) => Object.values(f).some((c) => c !== undefined), 'give the key and secret of at least one feed');

export const createExportBody = z
  .object({
    name: z.string().trim().min(1, 'give the export a name').max(200),
    contact_email: z.email('a valid email address is needed to tell you when mParticle refuses the credentials'),
    destination,
    environment: z.enum(['production', 'development']).default('production'),
    feeds: feedsCreate,
    events: eventList.optional().describe("defaults to the 47 types of Braze's mParticle page"),
    identity: z.enum(IDENTITIES).default('customer_id').describe('mParticle identity the external user id goes to'),
    event_names: eventNames.default({}),
    event_names_preset: z
      .enum(['braze', 'channel_qualified'])
      .default('braze')
      .describe('"channel_qualified" names colliding types by channel ("LINE Aborts", "RCS Aborts"); event_names win'),
    merge_batches: z
      .boolean()
      .default(true)
      .describe("one batch per user's events read together; false: one per event"),
    hold_window_hours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(48),
    rate_limit: z.number().int().min(0).max(100_000).default(270).describe('batches per second; 0 = unlimited'),
    sources: sourceList.optional(),
    transformations: transformationList.default([]),
    from: from.default('now'),
  })
  .strict();

export const patchExportBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    contact_email: z.email().optional(),
    destination: destination.optional(),
    environment: z.enum(['production', 'development']).optional(),
    feeds: z
      .object({
        ios: feedPatch.optional(),
        android: feedPatch.optional(),
        web: feedPatch.optional(),
        unbound: feedPatch.optional(),
      })
      .strict()
      .optional(),
    events: eventList.optional(),
    identity: z.enum(IDENTITIES).optional(),
    event_names: eventNames.optional(),
    event_names_preset: z.enum(['braze', 'channel_qualified']).optional(),
    merge_batches: z.boolean().optional(),
    hold_window_hours: z
      .number()
      .positive()
      .max(24 * 30)
      .optional(),
    rate_limit: z.number().int().min(0).max(100_000).optional(),
    sources: sourceList.nullable().optional().describe('null: every source, also those added later'),
    transformations: transformationList.optional().describe('the whole new list; [] removes every transformation'),
  })
  .strict();

export const testCredentialsBody = z
  .object({ destination, feeds: feedsCreate })
  .strict()
  .describe('credentials to check before an export is created');

export const idParams = z.object({ id: z.string().min(1) });

// The times are checked by parseRange (exports/replays.ts), which says in a sentence what is wrong with a range.
export const replayBody = z
  .object({
    from: z.string().optional().describe('event time range start (inclusive): ISO 8601 with its zone, or a date'),
    to: z.string().optional().describe('event time range end (inclusive); default now'),
  })
  .strict();

export const testEventsBody = z
  .object({
    types: z.array(z.string()).min(1).optional().describe("types to send one test event of; default the export's"),
    external_user_id: z.string().min(1).default('currents-test-user'),
  })
  .strict();

export const idsBody = z
  .object({ ids: z.array(z.number().int().positive()).min(1).optional().describe('default: all') })
  .strict();

export { exportView, feedView } from '../schemas/exports.js';

export type CreateExportBody = z.output<typeof createExportBody>;
export type PatchExportBody = z.output<typeof patchExportBody>;
