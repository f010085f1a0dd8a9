import { describe, expect, it } from 'vitest';
import { nextDelay, POLICY } from '../../src/delivery/policy.js';
import { RateLimiter } from '../../src/delivery/rate-limiter.js';

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

  it('has a rule for every action, and only waits/retries resend', () => {
    expect(Object.keys(POLICY).sort()).toEqual(['done', 'hold', 'retry', 'split', 'wait']);
    expect(POLICY.hold.resend).toBe(false);
    expect(POLICY.retry.backoff).toBe(true);
    expect(POLICY.wait.slowsFeed).toBe(true);
  });
});

/** A clock that only moves when the limiter sleeps: the test measures virtual time, not the machine's speed. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    get elapsed() {
      return now;
    },
  };
}

describe('RateLimiter', () => {
  it('holds the configured batches per second', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(270, clock);
    // 100-batch requests: 2,700 batches need about 9 s after the first full second's burst.
    for (let i = 0; i < 27; i++) await limiter.acquire(100);
    expect(clock.elapsed).toBeGreaterThanOrEqual(8_500);
    expect(clock.elapsed).toBeLessThanOrEqual(10_500);
  });

  it('waits the penalty of a 429 and then sends more slowly', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(100, clock);
    await limiter.acquire(100);
    const before = limiter.rate;
    limiter.penalize(5_000);
    await limiter.acquire(1);
    expect(clock.elapsed).toBeGreaterThanOrEqual(5_000);
    expect(limiter.rate).toBeLessThan(before);
  });

  it('slows down when mParticle reports a high share of the limit used, and recovers', () => {
    const limiter = new RateLimiter(270, fakeClock());
    limiter.observe(95);
    limiter.observe(95);
    expect(limiter.rate).toBeLessThan(270 * 0.85);
    for (let i = 0; i < 40; i++) limiter.observe(20);
    expect(limiter.rate).toBe(270);
  });

  it('does not wait at all when unlimited', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(0, clock);
    for (let i = 0; i < 1000; i++) await limiter.acquire(100);
    expect(clock.elapsed).toBe(0);
  });
});
