/**
 * Time as delivery sees it. Every wait of the delivery loop (backoff, Retry-After, the rate limiter, idle polls,
 * probes, notice gathering) goes through one of these, so that a test can run the loop on a fake clock and a stop
 * signal can end any wait at once.
 */
export interface Clock {
  now(): number;
  /** Call `fn` after `ms`; the returned function cancels it. */
  timer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  timer(ms, fn) {
    // Delivery's waits never keep a process alive on their own: the server (or the command) decides when it ends.
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
};

/** A repeating timer on a clock; the returned function stops it. */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let cancel: (() => void) | null = null;
  let stopped = false;
  const arm = (): void => {
    cancel = clock.timer(ms, () => {
      if (stopped) return;
      fn();
      arm();
    });
  };
  arm();
  return () => {
    stopped = true;
    cancel?.();
  };
}
