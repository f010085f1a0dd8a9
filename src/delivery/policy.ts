import type { MpAction } from '../mparticle/index.js';

/**
 * The failure policy as data: what a sender does for each kind of answer, and how long it waits between tries.
 * The mparticle room classifies a response into an action (`done`, `wait`, `retry`, `split`, `hold`); this table says
 * what each action means for delivery. The sender's one `switch` over it is exhaustive.
 *
 * | action | answers                          | what the sender does                                               |
 * |--------|----------------------------------|--------------------------------------------------------------------|
 * | done   | 2xx                              | count delivered, advance; read X-mp-rate-limit-percentage-used      |
 * | wait   | 429                              | wait Retry-After (else back off), slow the export's limiter, resend |
 * | retry  | 5xx, timeout, connection error   | back off exponentially with jitter, resend without limit; past the  |
 * |        |                                  | hold window the waiting events are dropped and recorded             |
 * | split  | 400, 413                         | halve the request until the refused batch is alone; dead-letter it  |
 * | hold   | 401, 403 (and 404)               | hold the feed, tell the contact, probe, resume when accepted; past  |
 * |        |                                  | the hold window drop the expired events and record them             |
 */
export const POLICY: Readonly<Record<MpAction, { resend: boolean; backoff: boolean; slowsFeed: boolean }>> = {
  done: { resend: false, backoff: false, slowsFeed: false },
  wait: { resend: true, backoff: true, slowsFeed: true },
  retry: { resend: true, backoff: true, slowsFeed: false },
  split: { resend: true, backoff: false, slowsFeed: false },
  hold: { resend: false, backoff: false, slowsFeed: false },
};

export interface BackoffSettings {
  /** First delay. */
  baseMs: number;
  /** Longest delay. */
  maxMs: number;
  /** Fraction of the delay drawn at random (0.5: between 50% and 100% of the nominal delay). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 250, maxMs: 300_000, jitter: 0.5 };

/**
 * Delay before retry number `attempt` (0 for the first retry): base × 2^attempt, capped, with jitter so that many
 * senders failing together do not retry together.
 */
export function nextDelay(attempt: number, settings: BackoffSettings = DEFAULT_BACKOFF, random = Math.random): number {
  const nominal = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = nominal * (1 - settings.jitter * random());
  return Math.max(1, Math.round(jittered));
}
