import type { OutBatch } from '../mparticle/index.js';
import type { CounterDelta, NewDeadLetter, NewDrop, Outcome } from '../types.js';

/**
 * What one step of a lane did to its events, gathered until the step is committed with the cursor (one transaction):
 * counters per type and outcome, dead letters, drops (grouped per type with count and time range), and the seqs of
 * the events that got their fate (a batch gets its fate whole).
 */
export class Tally {
  readonly #counters = new Map<string, number>();
  readonly deadLetters: NewDeadLetter[] = [];
  readonly #drops = new Map<string, NewDrop>();
  /** Seqs of the events given a fate here (delivered, dead-lettered after sending, dropped). */
  readonly done: number[] = [];
  delivered = 0;

  constructor(
    private readonly exportId: string,
    private readonly feed: string,
  ) {}

  count(type: string, outcome: Outcome, n = 1): void {
    const key = `${type}\u0000${outcome}`;
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + n);
  }

  deliveredBatch(batch: OutBatch): void {
    for (const type of batch.types) {
      this.count(type, 'delivered');
      if (batch.historical) this.count(type, 'historical');
    }
    this.delivered += batch.types.length;
    this.done.push(...batch.seqs);
  }

  /** A batch mParticle refused (or that cannot be sent: `attempts` 0), kept with its error. */
  deadLetter(batch: OutBatch, status: number | null, error: string, at: number, attempts: number): void {
    for (const type of batch.types) this.count(type, 'dead_lettered');
    this.done.push(...batch.seqs);
    this.deadLetters.push({
      exportId: this.exportId,
      feed: this.feed,
      batch: batch.json,
      eventIds: batch.eventIds,
      types: [...batch.types],
      status,
      error,
      createdAt: at,
      attempts,
    });
  }

  /** A batch whose events all waited past the hold window: each event dropped, by type, with its event time. */
  dropBatch(batch: OutBatch, timeOf: (seq: number) => number, reason: string, at: number): void {
    batch.seqs.forEach((seq, i) => this.drop(batch.types[i]!, timeOf(seq), reason, at));
    this.done.push(...batch.seqs);
  }

  drop(type: string, time: number, reason: string, at: number): void {
    this.count(type, 'dropped');
    const key = `${type}\u0000${reason}`;
    const d = this.#drops.get(key);
    if (d === undefined) {
      this.#drops.set(key, {
        exportId: this.exportId,
        feed: this.feed,
        type,
        count: 1,
        firstTime: time,
        lastTime: time,
        reason,
        droppedAt: at,
      });
    } else {
      d.count += 1;
      d.firstTime = Math.min(d.firstTime, time);
      d.lastTime = Math.max(d.lastTime, time);
    }
  }

  /** Add another tally's figures to this one. */
  merge(other: Tally): void {
    for (const [key, n] of other.#counters) this.#counters.set(key, (this.#counters.get(key) ?? 0) + n);
    this.deadLetters.push(...other.deadLetters);
    for (const [key, d] of other.#drops) {
      const mine = this.#drops.get(key);
      if (mine === undefined) this.#drops.set(key, { ...d });
      else {
        mine.count += d.count;
        mine.firstTime = Math.min(mine.firstTime, d.firstTime);
        mine.lastTime = Math.max(mine.lastTime, d.lastTime);
      }
    }
    this.delivered += other.delivered;
    this.done.push(...other.done);
  }

  get dropCount(): number {
    let n = 0;
    for (const d of this.#drops.values()) n += d.count;
    return n;
  }

  get empty(): boolean {
    return this.#counters.size === 0 && this.deadLetters.length === 0 && this.#drops.size === 0;
  }

  counters(): CounterDelta[] {
    return [...this.#counters].map(([key, count]) => {
      const [type, outcome] = key.split('\u0000') as [string, Outcome];
      return { feed: this.feed, type, outcome, count };
    });
  }

  drops(): NewDrop[] {
    return [...this.#drops.values()];
  }
}
