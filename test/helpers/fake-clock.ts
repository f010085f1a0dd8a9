import type { Clock } from '../../src/delivery/clock.js';

interface Timer {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. Timers fire in time order (ties in the order they were set); between two
 * timers every promise chain started by the last one runs to its end first (`settle`), so a loop on this clock runs
 * as it would in real time, only without the waiting, and the same seed gives the same run.
 */
export class FakeClock implements Clock {
  #now: number;
  #order = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 10, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  timer(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.#now + Math.max(0, ms), order: this.#order++, fn, cancelled: false };
    this.#timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Timers not yet fired nor cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** When the next timer fires, or null when none is set. */
  get next(): number | null {
    const t = this.#earliest();
    return t === undefined ? null : t.at;
  }

  /** Let every chain of promises run until nothing is left but timers (and real I/O). */
  async settle(): Promise<void> {
    // Microtasks all run before the next macrotask: one turn lets every chain of resolved promises finish.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Fire the next timer (moving the clock to it); false when no timer is set. */
  async step(): Promise<boolean> {
    await this.settle();
    const t = this.#earliest();
    if (t === undefined) return false;
    this.#fire(t);
    await this.settle();
    return true;
  }

  /** Move to `ms` from now, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await this.settle();
    for (;;) {
      const t = this.#earliest();
      if (t === undefined || t.at > until) break;
      this.#fire(t);
      await this.settle();
    }
    this.#now = Math.max(this.#now, until);
    await this.settle();
  }

  #fire(t: Timer): void {
    this.#timers = this.#timers.filter((x) => x !== t && !x.cancelled);
    this.#now = Math.max(this.#now, t.at);
    t.fn();
  }

  /** Run timers until `p` settles; throws when no timer is left to fire (nothing could ever settle it). */
  async until<T>(p: Promise<T>, limitMs = 365 * 24 * 3_600_000): Promise<T> {
    let outcome: { value: T } | { error: unknown } | null = null;
    p.then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    const limit = this.#now + limitMs;
    for (;;) {
      await this.settle();
      const o = outcome as { value: T } | { error: unknown } | null;
      if (o !== null) {
        if ('error' in o) throw o.error;
        return o.value;
      }
      const t = this.#earliest();
      if (t === undefined) throw new Error('stuck: the promise waits on nothing the clock can move');
      if (t.at > limit) throw new Error(`still waiting after ${limitMs} ms of fake time`);
      await this.step();
    }
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) {
      if (t.cancelled) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.order < best.order)) best = t;
    }
    return best;
  }
}
