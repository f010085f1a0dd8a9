import { systemClock, type Clock } from './clock.js';

/**
 * A wake-up call shared by waiting loops: `wait(ms)` resolves after ms, or as soon as `notify()` is called, or when
 * the stop signal fires. Loops use it to sleep without missing a change (new events, a feed resumed, a stop).
 */
export class Wakeup {
  #waiters = new Set<() => void>();

  constructor(private readonly clock: Clock = systemClock) {}

  notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }

  wait(ms: number, stop?: AbortSignal): Promise<void> {
    if (stop?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        cancel();
        this.#waiters.delete(done);
        stop?.removeEventListener('abort', done);
        resolve();
      };
      const cancel = this.clock.timer(ms, done);
      this.#waiters.add(done);
      stop?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Sleep that ends early when the signal aborts. */
export function sleep(ms: number, stop?: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return new Wakeup(clock).wait(ms, stop);
}
