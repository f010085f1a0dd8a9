import { z } from 'zod';

/**
 * What an export's actions answer with: credential checks, test events, dead letters, the chart's series (zod
 * only: the dashboard takes its types from here, type-only).
 */

export const credentialCheckView = z.object({
  slots: z.array(z.enum(['ios', 'android', 'web', 'unbound'])).describe('the feeds sharing this key'),
  key: z.string(),
  accepted: z.boolean(),
  status: z.number().nullable(),
  message: z.string(),
});

export const credentialChecks = z.object({ feeds: z.array(credentialCheckView) });

export const testEventsResult = z.object({
  sent: z.array(z.object({ type: z.string(), id: z.string(), mparticle_name: z.string().nullable() })),
  stored: z.number(),
});

export const deadLetterView = z.object({
  id: z.number(),
  feed: z.string(),
  status: z.number().nullable(),
  error: z.string(),
  event_ids: z.array(z.string()),
  types: z.array(z.string()),
  attempts: z.number(),
  created_at: z.string(),
  last_attempt_at: z.string().nullable(),
  batch: z.unknown().describe('the mParticle batch as it was sent'),
});

export const deadLetterPage = z.object({ total: z.number(), dead_letters: z.array(deadLetterView) });

export const seriesPointView = z.object({
  feed: z.string(),
  minute: z.number().describe('start of the minute, ms since the epoch'),
  count: z.number(),
});

export const seriesView = z.object({ since: z.string(), points: z.array(seriesPointView) });

export type CredentialCheck = z.infer<typeof credentialCheckView>;
export type TestEventsResult = z.infer<typeof testEventsResult>;
export type DeadLetter = z.infer<typeof deadLetterView>;
export type SeriesPoint = z.infer<typeof seriesPointView>;
