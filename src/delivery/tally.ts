import type { OutBatch } from '../mparticle/index.js';
import type { CounterDelta, NewDeadLetter, NewDrop, Outcome } from '../types.js';

/**
 * What one step of a lane did to its events, gathered until the step is committed with the cursor (one transaction):
 * counters per type and outcome, dead letters, drops (grouped per type with count and time range), and the seqs of
 * the events that got their fate (a batch gets its fate whole).
 *
 * Events `foreign` to the feed (in a batch it resends as it was, but carried by another feed since a regroup) are
 * neither counted nor marked done here: the feed that carries them now gives them their fate, and counts it.
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
    private readonly foreign: ReadonlySet<number> = new Set(),
  ) {}

  /** The batch's events this feed gives a fate to, as [seq, type, event id]. */
  #own(batch: OutBatch): [number, string, string][] {
    const own: [number, string, string][] = [];
    batch.seqs.forEach((seq, i) => {
      if (!this.foreign.has(seq)) own.push([seq, batch.types[i]!, batch.eventIds[i]!]);
    });
    return own;
  }

  count(type: string, outcome: Outcome, n = 1): void {
    const key = counterKey(type, outcome);
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + n);
  }

  /** Runs for every event delivered: no tuple, no key made per event. */
  deliveredBatch(batch: OutBatch): void {
    const { seqs, types } = batch;
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      if (this.foreign.has(seq)) continue;
      this.count(types[i]!, 'delivered');
      if (batch.historical) this.count(types[i]!, 'historical');
      this.delivered += 1;
      this.done.push(seq);
    }
  }

  /** A batch mParticle refused (or that cannot be sent: `attempts` 0), kept with its error. */
  deadLetter(batch: OutBatch, status: number | null, error: string, at: number, attempts: number): void {
    const own = this.#own(batch);
    for (const [, type] of own) this.count(type, 'dead_lettered');
    this.done.push(...own.map(([seq]) => seq));
    this.deadLetters.push({
      exportId: this.exportId,
      feed: this.feed,
      batch: batch.json,
      eventIds: own.map(([, , id]) => id),
      types: own.map(([, type]) => type),
      status,
      error,
      createdAt: at,
      attempts,
    });
  }

  /** A batch whose events all waited past the hold window: each event dropped, by type, with its event time. */
  dropBatch(batch: OutBatch, timeOf: (seq: number) => number, reason: string, at: number): void {
    const own = this.#own(batch);
    for (const [seq, type] of own) this.drop(type, timeOf(seq), reason, at);
    this.done.push(...own.map(([seq]) => seq));
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

const counterKeys = new Map<string, Map<Outcome, string>>();

/** The counters' key of a type and outcome, made once (types and outcomes are few; the map holds each pair once). */
function counterKey(type: string, outcome: Outcome): string {
  let byOutcome = counterKeys.get(type);
  if (byOutcome === undefined) counterKeys.set(type, (byOutcome = new Map()));
  let key = byOutcome.get(outcome);
  if (key === undefined) byOutcome.set(outcome, (key = `${type}\u0000${outcome}`));
  return key;
}
