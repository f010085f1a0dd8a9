import { systemClock, type Clock } from './clock.js';

/**
 * The bytes of stored events that the lanes of one process hold at once, shared by all of them (every export, feed,
 * partition and replay), so that what delivery keeps in memory depends on this setting and not on how many lanes
 * there are or how far behind they are.
 *
 * A lane asks, before it reads, how many rows it may read (`rowsFor`): as many as fit in what is left, at the size of
 * the rows read so far, between `minRows` and its read chunk. It never waits: with the budget spent it still reads
 * `minRows`, so a lane whose requests are stuck in backoff cannot starve the others, and the bound is the budget plus
 * `minRows` rows per lane. What it read is then held (`hold`) until its step ends (`release`): the rows, and what is
 * built from them (batches, request bodies), which are about their size.
 */
export class ReadBudget {
  #held = 0;
  #bytes = 0;
  #rows = 0;

  constructor(
    readonly limitBytes: number,
    readonly minRows = 20,
    /** Bytes a row is taken to hold before any was read. */
    private readonly guessRowBytes = 1024,
  ) {}

  /** Bytes held now by every lane. */
  get held(): number {
    return this.#held;
  }

  /** Rows a lane may read now, `wanted` at most. */
  rowsFor(wanted: number): number {
    const perRow = this.#rows > 0 ? this.#bytes / this.#rows : this.guessRowBytes;
    const fit = Math.floor((this.limitBytes - this.#held) / Math.max(1, perRow));
    return Math.max(Math.min(this.minRows, wanted), Math.min(wanted, fit));
  }

  /** A lane read these rows: they count until it releases them. Returns what to release. */
  hold(rows: readonly { payload: string }[]): number {
    let bytes = 0;
    for (const r of rows) bytes += r.payload.length;
    this.#held += bytes;
    // A running mean that follows the traffic's row size (decays so a change of traffic is seen).
    this.#bytes = this.#bytes * 0.9 + bytes;
    this.#rows = this.#rows * 0.9 + rows.length;
    return bytes;
  }

  release(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }
}

/**
 * How many lanes of a process work on a chunk at once, from its read to its commit. A chunk's state (its batches,
 * their ids, per-row times) lives until the commit. When every lane of a CPU-bound drain holds one, each chunk waits
 * its turn for the CPU long enough to outlive the young generation's scavenges, and the collector copies and
 * promotes it (BENCHMARKS.md, "fewer chunks in flight"). Fewer chunks at once are each done sooner.
 *
 * Lanes are served in order. A lane waits `maxWaitMs` at most, then goes on without a slot, and a lane gives its slot
 * back before it waits on anything but the CPU and mParticle's answer (a backoff, the rate limit: send.ts `pause`),
 * so lanes held up elsewhere delay the others by that much a step at most, and never stop them.
 */
export class ChunkSlots {
  #free: number;
  readonly #queue: ((release: () => void) => void)[] = [];

  constructor(
    readonly slots: number,
    readonly maxWaitMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.#free = slots;
  }

  /** Slots nobody holds now. */
  get free(): number {
    return this.#free;
  }

  /** Lanes waiting for a slot now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * A slot, once one is free and the lanes that asked before have theirs; after `maxWaitMs`, or once `stop` fires,
   * none. The returned function gives the slot back (once; it does nothing when no slot was given).
   */
  take(stop?: AbortSignal): Promise<() => void> {
    if (this.#free > 0 && this.#queue.length === 0) {
      this.#free -= 1;
      return Promise.resolve(this.#handle());
    }
    if (stop?.aborted) return Promise.resolve(NONE);
    return new Promise((resolve) => {
      const served = (release: () => void): void => {
        cancel();
        stop?.removeEventListener('abort', giveUp);
        resolve(release);
      };
      const giveUp = (): void => {
        const at = this.#queue.indexOf(served);
        if (at < 0) return;
        this.#queue.splice(at, 1);
        served(NONE);
      };
      const cancel = this.clock.timer(this.maxWaitMs, giveUp);
      stop?.addEventListener('abort', giveUp, { once: true });
      this.#queue.push(served);
    });
  }

  #handle(): () => void {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // Handed straight to the next lane in line, so that a lane arriving now cannot pass it.
      const next = this.#queue.shift();
      if (next) next(this.#handle());
      else this.#free += 1;
    };
  }
}

const NONE = (): void => undefined;
