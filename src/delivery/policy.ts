import type { MpOutcome } from '../mparticle/index.js';

/**
 * The failure policy as one table: for each class of answer mParticle can give (or not give), what the sender does
 * and what is counted. `send.ts` reads the row of each answer and does what its `action` says; the README's table
 * ("What happens to each answer") is this table in the same words, and a test keeps the two equal.
 */
export type AnswerClass =
  '2xx' | '400' | '401, 403' | '404' | 'other 4xx' | '413' | '429' | '5xx' | 'timeout' | 'connection error' | 'other';

/**
 * - deliver:  the batches are delivered.
 * - split:    halve the request until the refused batch is alone, then dead-letter that batch.
 * - hold:     stop the feed (no lane sends), keep its events, tell the contact, probe until accepted.
 * - wait:     wait Retry-After (else back off) before anyone sends again for the export, which slows down.
 * - back_off: send the same request again after an exponential delay with jitter.
 */
export type PolicyAction = 'deliver' | 'split' | 'hold' | 'wait' | 'back_off';

export interface PolicyRow {
  action: PolicyAction;
  /**
   * The answer does not say whether mParticle took the batches: until one is delivered it is resent only as it was,
   * with the same source_request_id, so that mParticle recognises it.
   */
  ambiguous: boolean;
  /** Events still waiting on this answer after the hold window are dropped and each drop recorded. */
  dropsPastHoldWindow: boolean;
  /** What the answer does, in the README's words. */
  does: string;
  /** What is counted, in the README's words. */
  counts: string;
}

export const POLICY: Readonly<Record<AnswerClass, PolicyRow>> = {
  '2xx': {
    action: 'deliver',
    ambiguous: false,
    dropsPastHoldWindow: false,
    does: "done; mParticle's X-mp-rate-limit-percentage-used adjusts the export's pace",
    counts: 'each event delivered',
  },
  '400': {
    action: 'split',
    ambiguous: false,
    dropsPastHoldWindow: false,
    does: 'split the request in halves until the refused batch is alone; the other batches go on',
    counts: "the refused batch's events dead-lettered, with mParticle's error",
  },
  '413': {
    action: 'split',
    ambiguous: false,
    dropsPastHoldWindow: false,
    does: 'split the request in halves until the batch is alone; the other batches go on',
    counts: "a batch refused alone dead-lettered, with mParticle's error",
  },
  '401, 403': {
    action: 'hold',
    ambiguous: false,
    dropsPastHoldWindow: true,
    does: 'hold the feed: its events wait, the contact is told once, the key is probed until mParticle accepts it',
    counts: 'nothing until the feed flows; events still waiting past the hold window dropped',
  },
  '404': {
    action: 'hold',
    ambiguous: false,
    dropsPastHoldWindow: true,
    does: 'hold the feed as for 401 (the destination address is wrong)',
    counts: 'nothing until the feed flows; events still waiting past the hold window dropped',
  },
  'other 4xx': {
    action: 'hold',
    ambiguous: false,
    dropsPastHoldWindow: true,
    does: 'hold the feed as for 401 (retrying would not change the answer)',
    counts: 'nothing until the feed flows; events still waiting past the hold window dropped',
  },
  '429': {
    action: 'wait',
    ambiguous: false,
    dropsPastHoldWindow: false,
    does: "no request of the export leaves before Retry-After (else an exponential back-off); the export's pace drops by 30%",
    counts: 'nothing; the events wait, without limit',
  },
  '5xx': {
    action: 'back_off',
    ambiguous: true,
    dropsPastHoldWindow: true,
    does: 'send the same batches again after an exponential back-off with jitter, without limit',
    counts: 'nothing while retrying; events still failing past the hold window dropped',
  },
  timeout: {
    action: 'back_off',
    ambiguous: true,
    dropsPastHoldWindow: true,
    does: 'as for 5xx',
    counts: 'nothing while retrying; events still failing past the hold window dropped',
  },
  'connection error': {
    action: 'back_off',
    ambiguous: true,
    dropsPastHoldWindow: true,
    does: 'as for 5xx',
    counts: 'nothing while retrying; events still failing past the hold window dropped',
  },
  other: {
    action: 'back_off',
    ambiguous: true,
    dropsPastHoldWindow: true,
    does: 'as for 5xx (1xx and 3xx answers)',
    counts: 'nothing while retrying; events still failing past the hold window dropped',
  },
};

/** The class of an answer, from the mparticle room's classification of it. */
export function answerClass(outcome: MpOutcome): AnswerClass {
  switch (outcome.kind) {
    case 'ok':
      return '2xx';
    case 'bad_request':
      return '400';
    case 'too_large':
      return '413';
    case 'auth_missing':
    case 'auth_rejected':
      return '401, 403';
    case 'not_found':
      return '404';
    case 'rate_limited':
      return '429';
    case 'server_error':
      return '5xx';
    case 'timeout':
      return 'timeout';
    case 'network':
      return 'connection error';
    case 'unexpected':
      return outcome.status >= 400 && outcome.status < 500 ? 'other 4xx' : 'other';
  }
}

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
