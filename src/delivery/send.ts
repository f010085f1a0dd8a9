import { packRequests, type MpClient, type MpOutcome, type OutBatch, type OutRequest } from '../mparticle/index.js';
import type { Clock } from './clock.js';
import type { FeedController } from './feed.js';
import type { DeliveryObserver } from './observer.js';
import { answerClass, nextDelay, POLICY, type BackoffSettings } from './policy.js';
import type { RateLimiter } from './rate-limiter.js';
import { sleep } from './signal.js';
import type { Tally } from './tally.js';

/**
 * Sending one request under the failure policy (policy.ts): the row of each answer says what to do. Every batch
 * that gets its fate here (delivered, dead-lettered alone after a 400 or 413, dropped once its events waited past the
 * hold window while mParticle kept failing) goes into the step's tally; a request split after a 400 gives each half
 * its own fate, so a half already delivered is never counted as dropped. The end is:
 * - ended:   every batch of the request has its fate in the tally;
 * - held:    the feed's credentials were refused (now or by another lane); the batches without a fate wait;
 * - stopped: the lane is stopping; the batches without a fate are sent again later.
 * Batches that got an ambiguous answer (5xx, timeout, no answer) are added to `unsure`: mParticle may have them.
 */
export type SendEnd = 'ended' | 'held' | 'stopped';

export interface SendContext {
  exportId: string;
  feed: FeedController;
  client: () => MpClient;
  limiter: RateLimiter;
  observer: DeliveryObserver;
  backoff: BackoffSettings;
  clock: Clock;
  random: () => number;
  stop: AbortSignal;
  /** Where fates go. */
  tally: Tally;
  /** source_request_ids of batches mParticle may have received without saying so. */
  unsure: Set<string>;
  /** Sends per batch (by source_request_id), for the dead letter's attempt count. */
  attempts: Map<string, number>;
  /** True when every event of these batches has waited longer than the hold window since `since`. */
  expired: (batches: readonly OutBatch[], since: number) => boolean;
  /** Record these batches as dropped (their events waited past the hold window). */
  drop: (batches: readonly OutBatch[], outcome: MpOutcome) => void;
  /** How long a request under way may still take once the lane is told to stop. */
  stopGraceMs: number;
  /** Called before a wait on something other than the CPU or mParticle's answer: the lane gives back its slot. */
  pause?: () => void;
}

export const idOf = (batch: OutBatch): string => batch.id;

export async function sendRequest(request: OutRequest, ctx: SendContext): Promise<SendEnd> {
  let attempt = 0;
  for (;;) {
    if (ctx.stop.aborted) return 'stopped';
    if (ctx.feed.phase === 'credentials_rejected') return 'held';
    if (ctx.limiter.wouldWait(request.batches.length)) ctx.pause?.();
    if (!(await ctx.limiter.acquire(request.batches.length, ctx.stop))) return 'stopped';
    for (const b of request.batches) ctx.attempts.set(idOf(b), (ctx.attempts.get(idOf(b)) ?? 0) + 1);
    const started = performance.now();
    const outcome = await sendOnce(request, ctx);
    if (outcome === 'stopped') {
      // Cut off in the air: mParticle may have it.
      for (const b of request.batches) ctx.unsure.add(idOf(b));
      return 'stopped';
    }
    ctx.observer.request(ctx.exportId, ctx.feed.id, outcome.status, (performance.now() - started) / 1000);
    const row = POLICY[answerClass(outcome)];
    if (row.ambiguous) for (const b of request.batches) ctx.unsure.add(idOf(b));
    switch (row.action) {
      case 'deliver': {
        const percent = outcome.kind === 'ok' ? outcome.rateLimitPercentUsed : null;
        ctx.limiter.observe(percent);
        if (percent !== null) ctx.observer.rateLimitPercent(ctx.exportId, ctx.feed.id, percent);
        for (const batch of request.batches) {
          ctx.tally.deliveredBatch(batch);
          ctx.unsure.delete(idOf(batch));
        }
        await ctx.feed.delivered(percent);
        return 'ended';
      }
      case 'wait': {
        // The limiter keeps every lane of the export from sending until the wait is over (acquire above).
        const wait =
          outcome.kind === 'rate_limited' && outcome.retryAfterMs !== null
            ? outcome.retryAfterMs
            : nextDelay(attempt, ctx.backoff, ctx.random);
        ctx.limiter.penalize(wait);
        await ctx.feed.rateLimited(outcome);
        attempt += 1;
        continue;
      }
      case 'back_off': {
        await ctx.feed.failing(outcome);
        const since = ctx.feed.retryingSince ?? ctx.clock.now();
        if (row.dropsPastHoldWindow && ctx.expired(request.batches, since)) {
          ctx.drop(request.batches, outcome);
          for (const b of request.batches) ctx.unsure.delete(idOf(b));
          return 'ended';
        }
        ctx.pause?.();
        await sleep(nextDelay(attempt, ctx.backoff, ctx.random), ctx.stop, ctx.clock);
        attempt += 1;
        continue;
      }
      case 'split': {
        if (request.batches.length === 1) {
          const batch = request.batches[0]!;
          const error = outcome.kind === 'bad_request' ? outcome.error : outcome.message;
          ctx.tally.deadLetter(batch, outcome.status, error, ctx.clock.now(), ctx.attempts.get(idOf(batch)) ?? 1);
          ctx.unsure.delete(idOf(batch));
          return 'ended';
        }
        // Halve until the refused batch is alone; the others go on (their ids are unchanged, so any that mParticle
        // had already taken are recognised). Each part ends on its own: one expiring does not end the others.
        const half = Math.ceil(request.batches.length / 2);
        for (const part of [request.batches.slice(0, half), request.batches.slice(half)]) {
          for (const sub of packRequests(part)) {
            const end = await sendRequest({ ...sub, path: request.path }, ctx);
            if (end !== 'ended') return end;
          }
        }
        return 'ended';
      }
      case 'hold':
        await ctx.feed.hold(outcome);
        return 'held';
    }
  }
}

/** One POST. A stop lets it finish for `stopGraceMs`, then cuts it off ('stopped'). */
async function sendOnce(request: OutRequest, ctx: SendContext): Promise<MpOutcome | 'stopped'> {
  const cut = new AbortController();
  let cancelGrace: (() => void) | null = null;
  const onStop = (): void => {
    cancelGrace = ctx.clock.timer(ctx.stopGraceMs, () => cut.abort());
  };
  if (ctx.stop.aborted) onStop();
  else ctx.stop.addEventListener('abort', onStop, { once: true });
  try {
    const outcome = await ctx.client().send(request.path, request.body, ctx.feed.credentials, cut.signal);
    return cut.signal.aborted && outcome.status === null ? 'stopped' : outcome;
  } finally {
    ctx.stop.removeEventListener('abort', onStop);
    (cancelGrace as (() => void) | null)?.();
  }
}
