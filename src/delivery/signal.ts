/**
 * A wake-up call shared by waiting loops: `wait(ms)` resolves after ms, or as soon as `notify()` is called, or when
 * the stop signal fires. Loops use it to sleep without missing a change (new events, a feed resumed, a stop).
 */
export class Wakeup {
  #waiters = new Set<() => void>();

  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  wait(ms: number, stop?: AbortSignal): Promise<void> {
    if (stop?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        stop?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#waiters.add(done);
      stop?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Sleep that ends early when the signal aborts. */
export function sleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Wakeup().wait(ms, stop);
}
