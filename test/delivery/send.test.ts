import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { FeedController } from '../../src/delivery/feed.js';
import { SILENT_OBSERVER } from '../../src/delivery/observer.js';
import { RateLimiter } from '../../src/delivery/rate-limiter.js';
import { idOf, sendRequest, type SendContext } from '../../src/delivery/send.js';
import { Tally } from '../../src/delivery/tally.js';
import {
  buildBatches,
  classifyError,
  classifyResponse,
  packRequests,
  type MpClient,
  type MpOutcome,
  type OutBatch,
} from '../../src/mparticle/index.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { CurrentsEvent } from '../../src/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const HOUR = 3_600_000;
const logger = pino({ level: 'silent' });

/** Batches of one event each, for users u0..u(n-1). */
function batches(n: number): OutBatch[] {
  const events = Array.from({ length: n }, (_, i) => ({
    seq: i + 1,
    event: sampleEvent('users.messages.email.Send', {
      id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      time: 1_790_000_000,
      externalUserId: `u${i}`,
    }) as CurrentsEvent,
  }));
  return buildBatches(events, {
    settings: { environment: 'production', identity: 'customer_id', eventNames: {} },
    merge: true,
    feedId: 'unbound',
    generation: 0,
    now: 1_790_000_000_000,
  }).batches;
}

const usersOf = (body: string | Uint8Array): string[] =>
  (
    JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as {
      user_identities: { customer_id: string };
    }[]
  ).map((b) => b.user_identities.customer_id);

describe('sendRequest, under the failure policy', () => {
  let clock: FakeClock;
  let store: Store;
  let sent: string[][];
  let answer: (users: string[]) => MpOutcome;

  beforeEach(async () => {
    clock = new FakeClock();
    store = await openSqliteStore({ path: ':memory:' });
    sent = [];
  });
  afterEach(() => store.close());

  function context(over: Partial<SendContext> = {}): SendContext {
    const client: MpClient = {
      send: (_path, body) => {
        const users = usersOf(body);
        sent.push(users);
        return new Promise((resolve) => clock.timer(10, () => resolve(answer(users))));
      },
      probe: async () => classifyResponse(403, {}, ''),
      close: async () => undefined,
    };
    const feed = new FeedController(
      { id: 'unbound', slots: ['unbound'], key: 'k' },
      { key: 'k', secret: 's' },
      {
        exportId: 'e',
        exportName: () => 'E',
        contactEmail: () => 'ops@example.com',
        holdWindowMs: () => HOUR,
        changedAt: () => 0,
        store,
        client: () => client,
        notifier: { notify: async () => undefined, close: async () => undefined },
        logger,
        probeIntervalMs: 60_000,
        clock,
      },
    );
    const stop = new AbortController();
    const tally = new Tally('e', 'unbound');
    const start = clock.now();
    return {
      exportId: 'e',
      feed,
      client: () => client,
      limiter: new RateLimiter(0, clock),
      observer: SILENT_OBSERVER,
      backoff: { baseMs: 1_000, maxMs: 60_000, jitter: 0 },
      clock,
      random: () => 0,
      stop: stop.signal,
      tally,
      unsure: new Set(),
      attempts: new Map(),
      stopGraceMs: 5_000,
      expired: () => clock.now() - start > HOUR,
      drop: (bs) => {
        for (const b of bs) tally.dropBatch(b, () => 1, 'expired', clock.now());
      },
      ...over,
    };
  }

  it('delivers on 2xx', async () => {
    answer = () => classifyResponse(202, {}, '');
    const ctx = context();
    const [request] = packRequests(batches(3));
    expect(await clock.until(sendRequest(request!, ctx))).toBe('ended');
    expect(ctx.tally.counters()).toEqual([
      { feed: 'unbound', type: 'users.messages.email.Send', outcome: 'delivered', count: 3 },
    ]);
    expect(ctx.tally.done.sort()).toEqual([1, 2, 3]);
  });

  it('splits a refused request until the bad batch is alone, dead-letters only it, with its attempts', async () => {
    answer = (users) =>
      users.includes('u2')
        ? classifyResponse(400, {}, '{"errors":[{"message":"bad u2"}]}')
        : classifyResponse(200, {}, '');
    const ctx = context();
    const [request] = packRequests(batches(4));
    expect(await clock.until(sendRequest(request!, ctx))).toBe('ended');
    expect(sent).toEqual([['u0', 'u1', 'u2', 'u3'], ['u0', 'u1'], ['u2', 'u3'], ['u2'], ['u3']]);
    expect(ctx.tally.deadLetters).toHaveLength(1);
    expect(ctx.tally.deadLetters[0]).toMatchObject({ status: 400, error: 'bad u2', attempts: 3 });
    expect(ctx.tally.delivered).toBe(3);
  });

  it('after a split, drops only the half that kept failing past the hold window: a delivered half stays delivered', async () => {
    // u0 refused (400); then u1 keeps failing (503) for more than the hold window; u2, u3 go through.
    answer = (users) => {
      if (users.includes('u0') && users.length > 1) return classifyResponse(400, {}, 'bad u0');
      if (users.length === 1 && users[0] === 'u0') return classifyResponse(400, {}, 'bad u0');
      if (users.includes('u1')) return classifyResponse(503, {}, '');
      return classifyResponse(200, {}, '');
    };
    const ctx = context();
    const all = batches(4);
    const [request] = packRequests(all);
    expect(await clock.until(sendRequest(request!, ctx), 3 * HOUR)).toBe('ended');
    const count = (outcome: string) => ctx.tally.counters().find((c) => c.outcome === outcome)?.count ?? 0;
    expect(count('dead_lettered')).toBe(1);
    expect(count('dropped')).toBe(1);
    expect(count('delivered')).toBe(2);
    expect(ctx.tally.deadLetters[0]!.eventIds).toEqual(all[0]!.eventIds);
    // The 5xx left the dropped batch possibly received; once dropped it is no longer waiting to be resent.
    expect(ctx.unsure.size).toBe(0);
  });

  it('marks batches answered with a 5xx or a timeout as possibly received until they are delivered', async () => {
    let calls = 0;
    answer = () =>
      ++calls === 1
        ? classifyError(Object.assign(new Error('t'), { name: 'TimeoutError' }))
        : classifyResponse(503, {}, '');
    const stop = new AbortController();
    const ctx = context({ stop: stop.signal });
    const [request] = packRequests(batches(2));
    const sending = sendRequest(request!, ctx);
    await clock.advance(5_000);
    stop.abort();
    expect(await clock.until(sending)).toBe('stopped');
    expect([...ctx.unsure].sort()).toEqual(request!.batches.map(idOf).sort());
    expect(ctx.tally.empty).toBe(true);
  });

  it('holds the feed on 401/403 and sends nothing more', async () => {
    answer = () => classifyResponse(403, {}, '');
    const ctx = context();
    const [request] = packRequests(batches(2));
    expect(await clock.until(sendRequest(request!, ctx))).toBe('held');
    expect(ctx.feed.phase).toBe('credentials_rejected');
    expect(ctx.tally.empty).toBe(true);
    expect(await clock.until(sendRequest(request!, ctx))).toBe('held');
    expect(sent).toHaveLength(1);
  });

  it('waits out Retry-After before sending again, and a stop ends the wait at once', async () => {
    let calls = 0;
    answer = () =>
      ++calls === 1 ? classifyResponse(429, { 'retry-after': '120' }, '') : classifyResponse(200, {}, '');
    const ctx = context({ limiter: new RateLimiter(270, clock) });
    const [request] = packRequests(batches(1));
    const start = clock.now();
    expect(await clock.until(sendRequest(request!, ctx))).toBe('ended');
    expect(clock.now() - start).toBeGreaterThanOrEqual(120_000);
    // The feed keeps flowing, and says why nothing moved.
    expect(ctx.feed.phase).toBe('flowing');
    expect(ctx.feed.state.lastError).toMatch(/rate limit was exceeded \(429\): wait 120 s/);

    calls = 0;
    const stop = new AbortController();
    const stopped = context({ limiter: new RateLimiter(270, clock), stop: stop.signal });
    const sending = sendRequest(request!, stopped);
    await clock.advance(1_000);
    const at = clock.now();
    stop.abort();
    expect(await clock.until(sending)).toBe('stopped');
    expect(clock.now() - at).toBeLessThan(1_000);
  });

  it('gives back its chunk slot (pause) before a backoff or a rate-limit wait, and not on a request that goes at once', async () => {
    const paused: number[] = [];
    let calls = 0;
    answer = () => (++calls === 1 ? classifyResponse(503, {}, '') : classifyResponse(200, {}, ''));
    const [request] = packRequests(batches(1));
    const backingOff = context({ pause: () => paused.push(clock.now()) });
    const start = clock.now();
    expect(await clock.until(sendRequest(request!, backingOff))).toBe('ended');
    // Once, as the 503 came back (10 ms), before the backoff's sleep: not for the first send, nor for the retry.
    expect(paused).toEqual([start + 10]);

    paused.length = 0;
    calls = 1;
    answer = () => classifyResponse(200, {}, '');
    const limiter = new RateLimiter(270, clock);
    limiter.penalize(30_000);
    const limited = context({ limiter, pause: () => paused.push(clock.now()) });
    const at = clock.now();
    expect(await clock.until(sendRequest(request!, limited))).toBe('ended');
    expect(paused).toEqual([at]);
    expect(clock.now() - at).toBeGreaterThanOrEqual(30_000);

    paused.length = 0;
    expect(await clock.until(sendRequest(request!, context({ pause: () => paused.push(clock.now()) })))).toBe('ended');
    expect(paused).toEqual([]);
  });
});
