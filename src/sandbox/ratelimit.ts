/**
 * mParticle's limit counts batches (not requests) per second per key. A fixed one-second window per key: simple,
 * and close enough to show a client its headroom. A request larger than the whole limit is let through when the
 * window is empty, or it could never pass.
 */
export type RateDecision = { ok: true; percentUsed: number } | { ok: false; retryAfterSeconds: number };

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(private limit: number | null) {}

  setLimit(limit: number | null): void {
    this.limit = limit;
  }

  take(key: string, batches: number, now: number): RateDecision {
    if (this.limit === null) return { ok: true, percentUsed: 0 };
    const start = now - (now % 1000);
    let window = this.windows.get(key);
    if (window === undefined || window.start !== start) {
      window = { start, used: 0 };
      this.windows.set(key, window);
    }
    if (window.used > 0 && window.used + batches > this.limit) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((start + 1000 - now) / 1000)) };
    }
    window.used += batches;
    return { ok: true, percentUsed: Math.min(100, Math.round((window.used / this.limit) * 100)) };
  }
}
