import { z } from 'zod';

/**
 * The quarantine API's request and response shapes. They validate requests, describe them in /openapi.json, and give
 * the dashboard its types (it imports the `z.infer` types below, type-only: this module imports nothing but zod).
 */

export const quarantineListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.coerce.number().int().min(0).default(0).describe('return records with an id above this (paging)'),
  dismissed: z.enum(['true', 'false']).optional().describe('true: list the dismissed records instead'),
  event_id: z
    .string()
    .min(1)
    .optional()
    .describe('only the records whose raw input is the event with this Currents id'),
});

export const quarantineRetryBody = z.object({
  ids: z.array(z.number().int().positive()).min(1).optional().describe('records to retry; all when absent'),
});

export const quarantineDismissBody = z
  .object({
    ids: z
      .array(z.number().int().positive('a record id is a whole number from 1 (see GET /v1/quarantine)'))
      .min(1, 'name the records to dismiss by id (see GET /v1/quarantine)'),
    note: z.string().trim().min(1).max(500).optional().describe('who dismissed them, or why; kept with the records'),
  })
  .strict();

export const quarantineRecord = z.object({
  id: z.number().int(),
  reason: z.string(),
  origin: z.string().describe('where the record came from, in words'),
  source: z.record(z.string(), z.unknown()).describe('where it came from, as data (kind, request id, path, offset)'),
  event_type: z.string().nullable(),
  received_at: z.string(),
  raw: z.string(),
  dismissed_at: z.string().nullable(),
  dismissed_note: z.string().nullable(),
});

export const quarantinePage = z.object({
  total: z.number().int().describe('records in this list (open ones, or dismissed ones with dismissed=true)'),
  dismissed: z.number().int().describe('records dismissed so far (kept, not counted in total)'),
  records: z.array(quarantineRecord),
  next_after: z.number().int().nullable(),
  retry_would_fail: z
    .boolean()
    .describe(
      'every open record was refused by the running validation (same version and catalog): a retry fails again',
    ),
  retry_note: z.string().nullable().describe('the sentence that says so, when it is so'),
});

export const quarantineRetry = z.object({
  retried: z.number().int(),
  stored: z.number().int(),
  duplicates: z.number().int(),
  still_quarantined: z.array(z.object({ id: z.number().int(), reason: z.string() })),
});

export const quarantineDismiss = z.object({
  dismissed: z.array(z.number().int()).describe('records dismissed by this call'),
  not_open: z.array(z.number().int()).describe('ids that were not open records (unknown, or dismissed before)'),
});

export type QuarantineRecordView = z.infer<typeof quarantineRecord>;
export type QuarantinePage = z.infer<typeof quarantinePage>;
export type QuarantineRetry = z.infer<typeof quarantineRetry>;
export type QuarantineDismiss = z.infer<typeof quarantineDismiss>;
