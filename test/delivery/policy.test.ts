import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyError, classifyResponse } from '../../src/mparticle/index.js';
import { answerClass, nextDelay, POLICY, type AnswerClass } from '../../src/delivery/policy.js';
import { RateLimiter } from '../../src/delivery/rate-limiter.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('nextDelay', () => {
  const settings = { baseMs: 100, maxMs: 10_000, jitter: 0.5 };

  it('doubles with each attempt and stays within the jitter band', () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      const nominal = 100 * 2 ** attempt;
      expect(nextDelay(attempt, settings, () => 0)).toBe(nominal);
      expect(nextDelay(attempt, settings, () => 1)).toBe(nominal / 2);
      const d = nextDelay(attempt, settings);
      expect(d).toBeGreaterThanOrEqual(nominal / 2);
      expect(d).toBeLessThanOrEqual(nominal);
    }
  });

  it('never exceeds the cap, even after many attempts', () => {
    expect(nextDelay(50, settings, () => 0)).toBe(10_000);
    expect(nextDelay(10_000, settings, () => 0)).toBe(10_000);
  });

  it('spreads retries of many senders (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => nextDelay(4, settings)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('the failure policy table', () => {
  const answers: [string, ReturnType<typeof classifyResponse>, AnswerClass][] = [
    ['200', classifyResponse(202, {}, ''), '2xx'],
    ['400', classifyResponse(400, {}, '{"errors":[{"code":"x","message":"bad"}]}'), '400'],
    ['401', classifyResponse(401, {}, ''), '401, 403'],
    ['403', classifyResponse(403, {}, ''), '401, 403'],
    ['404', classifyResponse(404, {}, ''), '404'],
    ['409', classifyResponse(409, {}, 'conflict'), 'other 4xx'],
    ['413', classifyResponse(413, {}, ''), '413'],
    ['429', classifyResponse(429, { 'retry-after': '3' }, ''), '429'],
    ['500', classifyResponse(500, {}, ''), '5xx'],
    ['503', classifyResponse(503, {}, ''), '5xx'],
    ['302', classifyResponse(302, {}, ''), 'other'],
    ['timeout', classifyError(Object.assign(new Error('t'), { name: 'TimeoutError' })), 'timeout'],
    ['reset', classifyError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), 'connection error'],
  ];

  it.each(answers)('reads the row of a %s answer', (_name, outcome, cls) => {
    expect(answerClass(outcome)).toBe(cls);
  });

  it("agrees with the mparticle room's classification of what each answer asks", () => {
    const expected = { done: 'deliver', split: 'split', hold: 'hold', wait: 'wait', retry: 'back_off' } as const;
    for (const [, outcome] of answers) expect(POLICY[answerClass(outcome)].action).toBe(expected[outcome.action]);
  });

  it('drops past the hold window exactly where the answer leaves events waiting without end', () => {
    const drops = Object.entries(POLICY)
      .filter(([, row]) => row.dropsPastHoldWindow)
      .map(([cls]) => cls)
      .sort();
    expect(drops).toEqual(['401, 403', '404', '5xx', 'connection error', 'other', 'other 4xx', 'timeout'].sort());
    // Only the answers that may hide a delivery resend batches as they were.
    const ambiguous = Object.entries(POLICY)
      .filter(([, row]) => row.ambiguous)
      .map(([cls]) => cls)
      .sort();
    expect(ambiguous).toEqual(['5xx', 'connection error', 'other', 'timeout'].sort());
  });
});

describe('RateLimiter', () => {
  it('holds the configured batches per second', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const limiter = new RateLimiter(270, clock);
    // 100-batch requests: 2,700 batches need about 9 s after the first full second's burst.
    for (let i = 0; i < 27; i++) await clock.until(limiter.acquire(100));
    expect(clock.now() - start).toBeGreaterThanOrEqual(8_500);
    expect(clock.now() - start).toBeLessThanOrEqual(10_500);
  });

  it('waits the penalty of a 429 and then sends more slowly', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const limiter = new RateLimiter(100, clock);
    await clock.until(limiter.acquire(100));
    const before = limiter.rate;
    limiter.penalize(5_000);
    await clock.until(limiter.acquire(1));
    expect(clock.now() - start).toBeGreaterThanOrEqual(5_000);
    expect(limiter.rate).toBeLessThan(before);
  });

  it('says whether a request would have to wait: tokens short, a 429 in force, callers ahead; never when unlimited', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(10, clock);
    expect(limiter.wouldWait(10)).toBe(false);
    // A request larger than a second's tokens waits for a full bucket, no more.
    expect(limiter.wouldWait(500)).toBe(false);
    await clock.until(limiter.acquire(10));
    expect(limiter.wouldWait(1)).toBe(true);
    await clock.advance(500);
    expect(limiter.wouldWait(5)).toBe(false);
    expect(limiter.wouldWait(6)).toBe(true);
    // A caller not yet served goes first.
    const queued = limiter.acquire(1);
    expect(limiter.wouldWait(1)).toBe(true);
    expect(await clock.until(queued)).toBe(true);
    expect(limiter.wouldWait(4)).toBe(false);
    limiter.penalize(2_000);
    expect(limiter.wouldWait(1)).toBe(true);
    const unlimited = new RateLimiter(0, clock);
    expect(unlimited.wouldWait(1_000)).toBe(false);
    unlimited.penalize(1_000);
    expect(unlimited.wouldWait(1)).toBe(true);
  });

  it('gives up a wait at once when told to stop: a long Retry-After does not hold a shutdown', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(100, clock);
    limiter.penalize(120_000);
    const stop = new AbortController();
    const waiting = limiter.acquire(1, stop.signal);
    await clock.advance(1_000);
    stop.abort();
    await clock.settle();
    expect(await waiting).toBe(false);
    // The next caller, not stopped, still waits out the penalty.
    const start = clock.now();
    expect(await clock.until(limiter.acquire(1))).toBe(true);
    expect(clock.now() - start).toBeGreaterThanOrEqual(118_000);
  });

  it('slows down when mParticle reports a high share of the limit used, and recovers', () => {
    const limiter = new RateLimiter(270, new FakeClock());
    limiter.observe(95);
    limiter.observe(95);
    expect(limiter.rate).toBeLessThan(270 * 0.85);
    for (let i = 0; i < 40; i++) limiter.observe(20);
    expect(limiter.rate).toBe(270);
  });

  it('does not wait at all when unlimited', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const limiter = new RateLimiter(0, clock);
    for (let i = 0; i < 1000; i++) await limiter.acquire(100);
    expect(clock.now()).toBe(start);
  });
});

describe("the README's table of answers", () => {
  it('is the policy table, in the same words', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## What happens to each answer'));
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| answer'))
      .slice(0, Object.keys(POLICY).length)
      .map((l) => l.split(' | ').map((c) => c.replace(/^\| /, '').replace(/ \|$/, '')));
    const table = Object.fromEntries(rows.map(([cls, does, counts]) => [cls, { does, counts }]));
    const expected = Object.fromEntries(
      Object.entries(POLICY).map(([cls, row]) => [cls, { does: row.does, counts: row.counts }]),
    );
    expect(table).toEqual(expected);
  });
});
