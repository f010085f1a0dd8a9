import { packRequests, type MpClient, type MpOutcome, type OutRequest } from '../mparticle/index.js';
import type { FeedController } from './feed.js';
import type { DeliveryObserver } from './observer.js';
import { nextDelay, POLICY, type BackoffSettings } from './policy.js';
import type { RateLimiter } from './rate-limiter.js';
import { sleep } from './signal.js';
import { Tally } from './tally.js';

/**
 * Sending one request under the failure policy (policy.ts). The outcome is one of:
 * - sent:    every batch was accepted or, refused alone with 400/413, dead-lettered (counted in the request's tally);
 * - held:    the feed's credentials were refused (now or by another lane): nothing of this request counts; it is
 *            sent again, whole, when the feed resumes (its batches keep their source_request_id);
 * - expired: mParticle kept failing (5xx, timeouts) until every event of the request had waited the hold window;
 * - stopped: the service is shutting down.
 */
export type SendResult =
  { kind: 'sent'; tally: Tally } | { kind: 'held' } | { kind: 'expired'; outcome: MpOutcome } | { kind: 'stopped' };

export interface SendContext {
  exportId: string;
  feed: FeedController;
  client: () => MpClient;
  limiter: RateLimiter;
  observer: DeliveryObserver;
  backoff: BackoffSettings;
  now: () => number;
  random: () => number;
  stop: AbortSignal;
  /** True when every event of the request has waited longer than the hold window since `since`. */
  expiredSince: (request: OutRequest, since: number) => boolean;
}

export async function sendRequest(request: OutRequest, ctx: SendContext): Promise<SendResult> {
  const tally = new Tally(ctx.exportId, ctx.feed.id);
  const result = await sendInto(request, ctx, tally);
  return result.kind === 'sent' ? { kind: 'sent', tally } : result;
}

async function sendInto(request: OutRequest, ctx: SendContext, tally: Tally): Promise<SendResult> {
  let attempt = 0;
  for (;;) {
    if (ctx.stop.aborted) return { kind: 'stopped' };
    if (ctx.feed.phase === 'credentials_rejected') return { kind: 'held' };
    await ctx.limiter.acquire(request.batches.length);
    const started = performance.now();
    const outcome = await ctx.client().send(request.path, request.body, ctx.feed.credentials);
    ctx.observer.request(ctx.exportId, ctx.feed.id, outcome.status, (performance.now() - started) / 1000);
    const policy = POLICY[outcome.action];
    switch (outcome.action) {
      case 'done':
        ctx.limiter.observe(outcome.kind === 'ok' ? outcome.rateLimitPercentUsed : null);
        if (outcome.kind === 'ok' && outcome.rateLimitPercentUsed !== null) {
          ctx.observer.rateLimitPercent(ctx.exportId, ctx.feed.id, outcome.rateLimitPercentUsed);
        }
        for (const batch of request.batches) tally.deliveredBatch(batch);
        await ctx.feed.delivered(outcome.kind === 'ok' ? outcome.rateLimitPercentUsed : null);
        return { kind: 'sent', tally };
      case 'wait': {
        const wait =
          outcome.kind === 'rate_limited' && outcome.retryAfterMs !== null
            ? outcome.retryAfterMs
            : nextDelay(attempt, ctx.backoff, ctx.random);
        if (policy.slowsFeed) ctx.limiter.penalize(wait);
        attempt += 1;
        continue;
      }
      case 'retry': {
        await ctx.feed.failing(outcome);
        const since = ctx.feed.retryingSince ?? ctx.now();
        if (ctx.expiredSince(request, since)) return { kind: 'expired', outcome };
        await sleep(nextDelay(attempt, ctx.backoff, ctx.random), ctx.stop);
        attempt += 1;
        continue;
      }
      case 'split': {
        if (request.batches.length === 1) {
          const batch = request.batches[0]!;
          const error = outcome.kind === 'bad_request' ? outcome.error : outcome.message;
          tally.deadLetter(batch, outcome.status, error, ctx.now());
          return { kind: 'sent', tally };
        }
        // Halve until the refused batch is alone; the others go on (their ids are unchanged, so any that mParticle
        // had already taken are recognised).
        const half = Math.ceil(request.batches.length / 2);
        for (const part of [request.batches.slice(0, half), request.batches.slice(half)]) {
          for (const sub of packRequests(part)) {
            const r = await sendInto({ ...sub, path: request.path }, ctx, tally);
            if (r.kind !== 'sent') return r;
          }
        }
        return { kind: 'sent', tally };
      }
      case 'hold':
        await ctx.feed.hold(outcome);
        return { kind: 'held' };
    }
  }
}
