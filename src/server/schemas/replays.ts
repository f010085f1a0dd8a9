import { z } from 'zod';

/**
 * What the replay routes answer with (zod only: the dashboard takes its types from here, type-only, and
 * test/server/response-schemas.test.ts checks real answers against them).
 */
export const replayPreviewView = z.object({
  from: z.string(),
  to: z.string(),
  events: z.number().describe("events of the export's types and sources the log holds for the range, up to its head"),
  no_feed: z.number().describe('of those, events no feed of the export takes (they are not sent)'),
  upto_seq: z.number(),
});

export const replayStates = ['running', 'done', 'failed'] as const;

export const replayView = z.object({
  generation: z.number(),
  from: z.string(),
  to: z.string(),
  upto_seq: z.number(),
  state: z.enum(replayStates),
  events: z.number().describe("events it re-sends (its range, the export's types, sources and feeds)"),
  sent: z.number().describe('of those, how many its cursors are past (each has one of the outcomes below)'),
  percent: z.number(),
  delivered: z.number(),
  skipped: z.number(),
  dead_lettered: z.number(),
  dropped: z.number(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  seconds: z.number().describe('from start to finish (or to now while it runs)'),
  message: z.string().nullable().describe('why it waits, or what did not reach mParticle'),
});

export type ReplayPreview = z.infer<typeof replayPreviewView>;
export type ReplayState = (typeof replayStates)[number];
export type ReplayView = z.infer<typeof replayView>;
