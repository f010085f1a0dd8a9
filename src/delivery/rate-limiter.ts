import { systemClock, type Clock } from './clock.js';
import { sleep } from './signal.js';

/**
 * The batches-per-second limit of one export (mParticle counts batches, not requests or events). A token bucket
 * holding one second of tokens; a request for n batches waits until n tokens are there (a request larger than the
 * bucket waits for a full bucket and takes it into debt). The effective rate adapts:
 * - `observe(percent)`: mParticle's X-mp-rate-limit-percentage-used. Above 90% the rate is cut by 10% per answer
 *   (down to 10% of the configured rate); below 70% it recovers by 5% of the configured rate per answer.
 * - `penalize(ms)`: a 429. Nobody sends until the wait is over, and the rate is cut by 30%.
 * A limit of 0 means unlimited (benchmarks, a proxy that limits on its own).
 */
export class RateLimiter {
  #tokens: number;
  #updatedAt: number;
  #factor = 1;
  #blockedUntil = 0;
  #queue: Promise<void> = Promise.resolve();
  /** Callers of acquire not yet served. */
  #waiting = 0;

  constructor(
    private batchesPerSecond: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.#tokens = batchesPerSecond;
    this.#updatedAt = clock.now();
  }

  /** The rate in force now, batches per second. */
  get rate(): number {
    return this.batchesPerSecond * this.#factor;
  }

  setLimit(batchesPerSecond: number): void {
    this.batchesPerSecond = batchesPerSecond;
    this.#tokens = Math.min(this.#tokens, batchesPerSecond);
  }

  /**
   * Wait until `n` batches may be sent. Callers are served in order. Resolves false, at once, when `stop` fires: a
   * long Retry-After must not hold a shutdown.
   */
  acquire(n: number, stop?: AbortSignal): Promise<boolean> {
    if (stop?.aborted) return Promise.resolve(false);
    if (this.batchesPerSecond <= 0 && this.#blockedUntil <= this.clock.now()) return Promise.resolve(true);
    this.#waiting += 1;
    const turn = this.#queue.then(() => this.#take(n, stop));
    const done = (): void => {
      this.#waiting -= 1;
    };
    this.#queue = turn.then(done, done);
    return turn;
  }

  /** Whether `acquire(n)` would have to wait now (a 429's wait, too few tokens, callers queued before). */
  wouldWait(n: number): boolean {
    const now = this.clock.now();
    if (now < this.#blockedUntil) return true;
    if (this.batchesPerSecond <= 0) return false;
    if (this.#waiting > 0) return true;
    const { tokens, need } = this.#bucketAt(now, n);
    return tokens < need;
  }

  /**
   * The bucket at `now` (refilled at the rate in force since the last take, up to a second's worth), and the tokens
   * a request for `n` batches waits for (a request larger than the bucket waits for a full one).
   */
  #bucketAt(now: number, n: number): { tokens: number; need: number } {
    const rate = this.rate;
    const capacity = Math.max(1, rate);
    return {
      tokens: Math.min(capacity, this.#tokens + ((now - this.#updatedAt) / 1000) * rate),
      need: Math.min(n, capacity),
    };
  }

  /** Until when nobody may send after a 429 (ms), or 0. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  observe(percentUsed: number | null): void {
    if (percentUsed === null) return;
    if (percentUsed >= 90) this.#factor = Math.max(0.1, this.#factor * 0.9);
    else if (percentUsed < 70) this.#factor = Math.min(1, this.#factor + 0.05);
  }

  penalize(waitMs: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.clock.now() + waitMs);
    this.#factor = Math.max(0.1, this.#factor * 0.7);
  }

  async #take(n: number, stop: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      if (stop?.aborted) return false;
      const now = this.clock.now();
      if (now < this.#blockedUntil) {
        await sleep(this.#blockedUntil - now, stop, this.clock);
        continue;
      }
      if (this.batchesPerSecond <= 0) return true;
      const { tokens, need } = this.#bucketAt(now, n);
      this.#tokens = tokens;
      this.#updatedAt = now;
      if (this.#tokens >= need) {
        this.#tokens -= n;
        return true;
      }
      await sleep(Math.ceil(((need - this.#tokens) / this.rate) * 1000), stop, this.clock);
    }
  }
}
