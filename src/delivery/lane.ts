import type { Logger } from 'pino';
import { keyTag, packRequests, type MpClient, type OutBatch } from '../mparticle/index.js';
import { LeaseLostError, StaleCursorError, toError } from '../store/errors.js';
import { newCursorVersion } from '../store/shared.js';
import type { ReadQuery, Store } from '../store/port.js';
import type { Cursor, Inflight, LogRow, PassedRule } from '../types.js';
import { BodyArena } from './arena.js';
import type { ChunkSlots, ReadBudget } from './budget.js';
import { packSettingsOf, passedBefore, planChunk, type ChunkPlan } from './chunk.js';
import type { Clock } from './clock.js';
import type { FeedController } from './feed.js';
import type { DeliveryObserver } from './observer.js';
import type { BackoffSettings } from './policy.js';
import type { RateLimiter } from './rate-limiter.js';
import { idOf, sendRequest, type SendContext } from './send.js';
import { sleep, type Wakeup } from './signal.js';
import type { ExportSnapshot } from './snapshot.js';
import { Tally } from './tally.js';
import { independent, sendInWindow } from './window.js';

/**
 * A lane sends one partition of the log to one feed of one export (generation 0), or re-sends it for a replay
 * (generation > 0). One lane per partition and feed is what keeps order per user.
 *
 * A step reads a chunk after the cursor, plans it (chunk.ts), records the chunk as in flight, sends its batches, and
 * commits the cursor past the chunk together with what happened to its events. A step that cannot finish (the feed
 * is held, the lane stops) commits the fates it has, the batches mParticle may have, and keeps the chunk in flight.
 *
 * States: sending ─(feed held)─► holding ─(feed flowing)─► sending; either ─(stop, lease lost)─► stopped; a replay
 * lane that reaches its end ─► finished.
 */
export interface LaneDeps {
  store: Store;
  feed: FeedController;
  limiter: RateLimiter;
  snapshot: () => ExportSnapshot;
  client: () => MpClient;
  observer: DeliveryObserver;
  logger: Logger;
  newData: Wakeup;
  /** Whether this process may still send this lane (its lease; always true in a single process). */
  owns: () => boolean;
  /** The lease owner commits are fenced by (several processes), or undefined. */
  leaseOwner?: string;
  /** The export changed under this process's feet (a commit was refused as stale): bring the runner in step. */
  onStale: () => void;
  readChunk: number;
  /** The bytes of stored events every lane of the process may hold at once (budget.ts); none: `readChunk` rows. */
  budget?: ReadBudget;
  /** How many lanes of the process work on a chunk at once (budget.ts); none: every lane. */
  slots?: ChunkSlots;
  idlePollMs: number;
  /**
   * A read that is not full waits until its oldest event was received this long ago (at most), then is read again:
   * a user's events received a moment apart then share a batch. 0: send at once.
   */
  batchWaitMs: number;
  backoff: BackoffSettings;
  clock: Clock;
  random: () => number;
  /** How long a request under way may take once the lane is told to stop. */
  stopGraceMs: number;
  /** Batches per request (mParticle takes up to 100; tests pack fewer to have chunks of many requests). */
  maxBatchesPerRequest?: number;
}

export interface LaneRange {
  /** A replay's end (inclusive) and event-time range. */
  uptoSeq?: number;
  fromTime?: number;
  toTime?: number;
}

interface Chunk {
  /** Emptied once the chunk is planned: the plan's batches carry what is sent. */
  rows: LogRow[];
  to: number;
  inflight: Inflight | null;
  /** The read stopped at its limit: more rows wait behind these, nothing is gained by waiting. */
  full: boolean;
  /** The settings the rows were read under: the chunk is planned under the same (an edit meanwhile waits a step). */
  snapshot: ExportSnapshot;
}

const IDLE_COMMIT_MS = 5_000;
/** Requests of one chunk in flight at once, when no user has batches in two of them (order per user holds). */
const REQUESTS_IN_FLIGHT = 4;
/** A chunk in flight is read again whole, in pages of this many rows. */
const REREAD_PAGE = 100_000;

export class Lane {
  #cursor: Cursor;
  /**
   * Where the next read starts: past rows already scanned that matched nothing (not yet persisted), under the
   * export's settings of `#scannedUnder`. Once they change, rows passed over may match: the next read starts at the
   * cursor again, so that a chunk is always every matching row after the cursor, as a reread after a crash sees it.
   */
  #scanFrom: number;
  #scannedUnder: ExportSnapshot | null = null;
  #idleCommittedAt = 0;
  #tagged: { key: string; tag: string } | null = null;
  /** The request bodies of the step under way (arena.ts). */
  readonly #bodies = new BodyArena();
  /**
   * When each row of the chunk being worked on was received and happened, by seq: all a step needs of its rows
   * once planned (the payloads are let go while the requests are under way).
   */
  #rows = new Map<number, { receivedAt: number; time: number }>();
  /** Bytes of the budget this step holds (released when the step ends). */
  #held = 0;

  constructor(
    cursor: Cursor,
    private readonly range: LaneRange,
    private readonly deps: LaneDeps,
  ) {
    this.#cursor = cursor;
    this.#scanFrom = cursor.seq;
  }

  get partition(): number {
    return this.#cursor.partition;
  }

  get cursor(): Cursor {
    return this.#cursor;
  }

  async run(stop: AbortSignal): Promise<'stopped' | 'finished'> {
    while (!stop.aborted) {
      if (!this.deps.owns()) return 'stopped';
      try {
        if (this.#finished()) return 'finished';
        try {
          if (this.deps.feed.phase === 'credentials_rejected') await this.#holdStep(stop);
          else await this.#sendStep(stop);
        } finally {
          this.#releaseHeld();
        }
      } catch (e) {
        // Another process took this partition over: it continues from the last committed cursor.
        if (e instanceof LeaseLostError) return 'stopped';
        if (e instanceof StaleCursorError) {
          // The cursor was rewritten (another process regrouped the feeds after an edit this process has not seen
          // yet) or removed: nothing was written. The runner, brought in step, starts the lane again if it still
          // has one, from what the store has.
          this.deps.onStale();
          return 'stopped';
        }
        const err = toError(e);
        this.deps.logger.error(
          { err, exportId: this.#cursor.exportId, feed: this.#cursor.feed, partition: this.partition },
          'delivery step failed; retrying',
        );
        await sleep(1_000, stop, this.deps.clock);
      }
    }
    return 'stopped';
  }

  #finished(): boolean {
    return this.range.uptoSeq !== undefined && this.#cursor.seq >= this.range.uptoSeq && !this.#cursor.inflight;
  }

  async #sendStep(stop: AbortSignal): Promise<void> {
    // One of the process's chunk slots from the read to the commit (budget.ts), given back before any idle wait.
    const slot = this.deps.slots ? await this.deps.slots.take(stop) : undefined;
    // Told to stop while waiting for a slot: nothing was read, nothing is begun.
    if (stop.aborted) {
      slot?.();
      return;
    }
    try {
      await this.#sendChunk(stop, slot);
    } finally {
      slot?.();
    }
  }

  async #sendChunk(stop: AbortSignal, slot: (() => void) | undefined): Promise<void> {
    const chunk = await this.#load();
    if (chunk === null) {
      slot?.();
      // Nothing to send: the bodies' buffer is not kept for when there is.
      this.#bodies.release();
      await this.deps.newData.wait(this.deps.idlePollMs, stop);
      return;
    }
    const hold = this.#holdFor(chunk);
    if (hold > 0) {
      slot?.();
      // Nothing is recorded yet: the next step reads again from the cursor, and finds these rows and any new ones.
      this.#releaseHeld();
      await sleep(hold, stop, this.deps.clock);
      return;
    }
    const plan = this.#plan(chunk);
    const to = chunk.to;
    // The payloads are not needed once planned; an async function keeps its locals alive until it returns.
    chunk.rows = [];
    if (plan.batches.length === 0 && plan.closing !== null) {
      await this.#commit(null, plan.closing, to);
      return;
    }
    // The previous step's bodies are done with (a step that may have left one in the air let its buffer go).
    this.#bodies.reuse();
    // Packed before the chunk is recorded: the batches' texts go into the bodies (off the heap) now, not after a
    // round trip to the store thread during which a scavenge would copy them.
    const requests = packRequests(plan.batches, {
      ...(this.deps.maxBatchesPerRequest ? { maxBatches: this.deps.maxBatchesPerRequest } : {}),
      alloc: this.#bodies.take,
    });
    if (plan.persist) await this.#setInflight(plan.inflight);
    const ctx = this.#sendContext(stop, plan.foreign, slot);
    const width = independent(requests) ? REQUESTS_IN_FLIGHT : 1;
    let sent = false;
    try {
      await sendInWindow(requests.length, width, (i) =>
        // The lease was lost (another process takes this partition over): stop between requests.
        this.deps.owns() ? sendRequest(requests[i]!, ctx) : Promise.resolve('stopped' as const),
      );
      sent = true;
    } finally {
      // A throw leaves other requests of the window under way, and a stop may cut one off mid-body: never write
      // over what may still be read.
      if (!sent || stop.aborted) this.#bodies.release();
    }
    await this.#settle(plan, to, ctx.tally, ctx.unsure);
  }

  /** Commit what a step did: past the chunk when every batch has its fate, else the chunk's progress. */
  async #settle(plan: ChunkPlan, to: number, tally: Tally, unsure: ReadonlySet<string>): Promise<void> {
    const fated = new Set(tally.done);
    // Events another feed carries now are not this lane's to give a fate (chunk.ts, `foreign`).
    const open = plan.batches.filter((b) => !b.seqs.every((s) => fated.has(s) || plan.foreign.has(s)));
    if (open.length === 0 && plan.closing !== null) {
      tally.merge(plan.closing);
      await this.#commit(null, tally, to);
      return;
    }
    const mayHave = open.map(idOf).filter((id) => plan.carried.has(id) || unsure.has(id));
    await this.#commit({ ...plan.inflight, done: [...plan.inflight.done, ...tally.done], unsure: mayHave }, tally);
  }

  /** `slot`: the lane's chunk slot, given back (`pause`) before a backoff or a rate-limit wait. */
  #sendContext(stop: AbortSignal, foreign: ReadonlySet<number>, slot: (() => void) | undefined): SendContext {
    const tally = new Tally(this.#cursor.exportId, this.#cursor.feed, foreign);
    return {
      exportId: this.#cursor.exportId,
      feed: this.deps.feed,
      client: this.deps.client,
      limiter: this.deps.limiter,
      observer: this.deps.observer,
      backoff: this.deps.backoff,
      clock: this.deps.clock,
      random: this.deps.random,
      stop,
      tally,
      unsure: new Set(),
      attempts: new Map(),
      stopGraceMs: this.deps.stopGraceMs,
      expired: (batches, since) => this.#expiry(batches, since) <= this.deps.clock.now(),
      drop: (batches, outcome) => {
        const reason = `mParticle kept failing (${outcome.message}) longer than the hold window`;
        for (const b of batches) this.#dropBatch(b, tally, reason);
      },
      ...(slot ? { pause: slot } : {}),
    };
  }

  /** While the feed's credentials are refused: drop the batches whose events all waited past the hold window. */
  async #holdStep(stop: AbortSignal): Promise<void> {
    const feed = this.deps.feed;
    const chunk = await this.#load();
    if (chunk === null) {
      await feed.changed.wait(this.deps.idlePollMs * 10, stop);
      return;
    }
    const plan = this.#plan(chunk);
    if (plan.batches.length === 0 && plan.closing !== null) {
      await this.#commit(null, plan.closing, chunk.to);
      return;
    }
    const heldSince = feed.heldSince ?? this.deps.clock.now();
    const reason = `mParticle refused the feed's credentials for longer than the hold window (held since ${new Date(heldSince).toISOString()})`;
    const tally = new Tally(this.#cursor.exportId, this.#cursor.feed, plan.foreign);
    const now = this.deps.clock.now();
    let next = Infinity;
    for (const batch of plan.batches) {
      const expiry = this.#expiry([batch], heldSince);
      if (expiry <= now) this.#dropBatch(batch, tally, reason);
      else next = Math.min(next, expiry);
    }
    if (!tally.empty) await this.#settle(plan, chunk.to, tally, new Set());
    if (tally.dropCount > 0) feed.droppedNotice(tally.dropCount, reason);
    if (next !== Infinity) await feed.changed.wait(Math.max(50, Math.min(next - now, 60_000)), stop);
  }

  async #load(): Promise<Chunk | null> {
    const snapshot = this.deps.snapshot();
    if (snapshot !== this.#scannedUnder) {
      this.#scanFrom = this.#cursor.seq;
      this.#scannedUnder = snapshot;
    }
    const base: Omit<ReadQuery, 'afterSeq' | 'limit' | 'types'> = {
      partition: this.partition,
      ...snapshot.readFilter(this.#cursor.feed),
      ...(this.range.fromTime !== undefined ? { fromTime: this.range.fromTime } : {}),
      ...(this.range.toTime !== undefined ? { toTime: this.range.toTime } : {}),
    };
    const inflight = this.#cursor.inflight;
    if (inflight) {
      // The chunk again, whole: rows of the types (and sources) it was packed under and of those selected now.
      const types = [...new Set([...(inflight.plan?.settings.types ?? []), ...snapshot.types])];
      const was = inflight.plan === null ? snapshot.sources : inflight.plan.settings.sources;
      const sources =
        was === undefined || snapshot.sources === undefined ? undefined : [...new Set([...was, ...snapshot.sources])];
      // Every platform: the feed's filter may have changed since (the plan filters by the one it was packed under).
      const { sources: _current, platformsIn: _in, platformsNotIn: _notIn, ...unfiltered } = base;
      const whole = sources === undefined ? unfiltered : { ...unfiltered, sources };
      const rows: LogRow[] = [];
      let after = this.#cursor.seq;
      while (after < inflight.to) {
        const r = await this.deps.store.read({
          ...whole,
          types,
          afterSeq: after,
          uptoSeq: inflight.to,
          limit: REREAD_PAGE,
        });
        rows.push(...r.rows);
        if (r.scannedTo <= after) break;
        after = r.scannedTo;
      }
      return { rows: this.#keep(this.#hold(rows)), to: inflight.to, inflight, full: true, snapshot };
    }
    const budget = this.deps.budget;
    const limit = budget ? budget.rowsFor(this.deps.readChunk) : this.deps.readChunk;
    const r = await this.deps.store.read({
      ...base,
      types: snapshot.types,
      afterSeq: Math.max(this.#scanFrom, this.#cursor.seq),
      ...(this.range.uptoSeq !== undefined ? { uptoSeq: this.range.uptoSeq } : {}),
      limit,
    });
    if (r.rows.length > 0) {
      const full = r.rows.length >= limit;
      return { rows: this.#keep(this.#hold(r.rows)), to: r.scannedTo, inflight: null, full, snapshot };
    }
    this.#scanFrom = Math.max(this.#scanFrom, r.scannedTo);
    const now = this.deps.clock.now();
    const reachedEnd = this.range.uptoSeq !== undefined && this.#scanFrom >= this.range.uptoSeq;
    if (this.#scanFrom > this.#cursor.seq && (reachedEnd || now - this.#idleCommittedAt > IDLE_COMMIT_MS)) {
      this.#idleCommittedAt = now;
      await this.#commit(null, new Tally(this.#cursor.exportId, this.#cursor.feed), this.#scanFrom);
    }
    return null;
  }

  /** How long a new chunk that is not full may still wait for more of its users' events (`batchWaitMs`). */
  #holdFor(chunk: Chunk): number {
    const wait = this.deps.batchWaitMs;
    if (wait <= 0 || chunk.full || chunk.inflight !== null || chunk.rows.length === 0) return 0;
    let oldest = Infinity;
    for (const row of chunk.rows) oldest = Math.min(oldest, row.receivedAt);
    // Bounded by the wait itself: a clock behind the writer's (another process) never holds a chunk longer.
    return Math.min(wait, oldest + wait - this.deps.clock.now());
  }

  /** Give back to the process's budget what this step read. */
  #releaseHeld(): void {
    this.deps.budget?.release(this.#held);
    this.#held = 0;
  }

  /** Count rows read against the process's budget until this step ends. */
  #hold(rows: LogRow[]): LogRow[] {
    if (this.deps.budget) this.#held += this.deps.budget.hold(rows);
    return rows;
  }

  /** Rows this lane sends: not passed by a replaced feed, and not "Send test events" of another export. */
  #keep(rows: readonly LogRow[]): LogRow[] {
    const passed = this.#cursor.passed;
    const exportId = this.#cursor.exportId;
    const kept = rows.filter((row) => {
      if (passed.length > 0 && passedBefore(row, passed)) return false;
      // Cheap test first: only test events carry this field, and parsing every payload twice would cost.
      if (!row.payload.includes('currents_test_export_id')) return true;
      const testOf = (JSON.parse(row.payload) as { currents_test_export_id?: unknown }).currents_test_export_id;
      return typeof testOf !== 'string' || testOf === exportId;
    });
    this.#rows = new Map(kept.map((r) => [r.seq, { receivedAt: r.receivedAt, time: r.time }]));
    return kept;
  }

  #plan(chunk: Chunk): ChunkPlan {
    const snapshot = chunk.snapshot;
    return planChunk({
      exportId: this.#cursor.exportId,
      feedId: this.#cursor.feed,
      generation: this.#cursor.generation,
      rows: chunk.rows,
      to: chunk.to,
      stored: chunk.inflight,
      current: packSettingsOf(snapshot, this.#cursor.feed),
      key: this.#keyTag(),
      now: this.deps.clock.now(),
    });
  }

  /** The fingerprint of the feed's key, computed again only when the key changes. */
  #keyTag(): string {
    const key = this.deps.feed.plan.key;
    if (this.#tagged?.key !== key) this.#tagged = { key, tag: keyTag(key) };
    return this.#tagged.tag;
  }

  /** When every event of the batches will have waited the hold window since max(received, since). */
  #expiry(batches: readonly OutBatch[], since: number): number {
    let latest = since;
    for (const batch of batches) {
      for (const seq of batch.seqs) latest = Math.max(latest, this.#rows.get(seq)?.receivedAt ?? 0);
    }
    return latest + this.deps.snapshot().holdWindowMs;
  }

  #dropBatch(batch: OutBatch, tally: Tally, reason: string): void {
    tally.dropBatch(batch, (seq) => this.#rows.get(seq)?.time ?? 0, reason, this.deps.clock.now());
  }

  /** Write over the version of the row this lane knows (a cursor read from the store always has one). */
  #cas(): { expect: number; next: number } | undefined {
    const v = this.#cursor.version;
    return v === undefined ? undefined : { expect: v, next: newCursorVersion() };
  }

  async #setInflight(inflight: Inflight): Promise<void> {
    const c = this.#cursor;
    const cas = this.#cas();
    await this.deps.store.setInflight(c.exportId, c.feed, c.partition, c.generation, inflight, cas);
    this.#cursor = { ...c, inflight, ...(cas ? { version: cas.next } : {}) };
  }

  /** Persist a step: with `inflight` the cursor stays and the chunk's progress is kept; without, the cursor moves to `to`. */
  async #commit(inflight: Inflight | null, tally: Tally, to?: number): Promise<void> {
    const c = this.#cursor;
    const seq = inflight === null ? (to ?? c.seq) : c.seq;
    const passed = inflight === null ? stillAhead(c.passed, seq) : c.passed;
    const now = this.deps.clock.now();
    const cas = this.#cas();
    await this.deps.store.commitProgress({
      exportId: c.exportId,
      feed: c.feed,
      partition: c.partition,
      generation: c.generation,
      seq,
      inflight,
      passed,
      counters: tally.counters(),
      deadLetters: tally.deadLetters,
      drops: tally.drops(),
      delivered: tally.delivered > 0 ? { count: tally.delivered, at: now } : null,
      ...(cas ? { cas } : {}),
      ...(this.deps.leaseOwner ? { fence: { owner: this.deps.leaseOwner, now } } : {}),
    });
    this.#cursor = { ...c, seq, inflight, passed, ...(cas ? { version: cas.next } : {}) };
    this.#scanFrom = Math.max(this.#scanFrom, seq);
    for (const d of tally.counters()) this.deps.observer.outcome(c.exportId, c.feed, d.type, d.outcome, d.count);
    if (tally.deadLetters.length > 0) await this.#reportRefused(tally);
  }

  /** A refused batch is worth a line in the export's recent errors and a warning in the log. */
  async #reportRefused(tally: Tally): Promise<void> {
    const c = this.#cursor;
    const events = tally.deadLetters.reduce((n, d) => n + d.eventIds.length, 0);
    const first = tally.deadLetters[0]!;
    const message =
      `${c.feed}: ${tally.deadLetters.length} batch(es) of ${events} event(s) dead-lettered` +
      `${first.status === null ? '' : ` (mParticle answered ${first.status})`}: ${first.error}. ` +
      "Fix the cause, then retry them from the export's dead letters.";
    this.deps.logger.warn(
      { exportId: c.exportId, feed: c.feed, partition: c.partition, batches: tally.deadLetters.length, events },
      message,
    );
    try {
      await this.deps.store.addError({ exportId: c.exportId, feed: c.feed, message, at: this.deps.clock.now() });
    } catch (e) {
      this.deps.logger.warn({ err: toError(e) }, 'could not record an export error');
    }
  }
}

/** The rules a cursor at `seq` (between chunks) still needs: those reaching past it. */
function stillAhead(rules: readonly PassedRule[], seq: number): PassedRule[] {
  return rules
    .map((r) => ({ ...r, done: r.done.filter((d) => d > seq) }))
    .filter((r) => r.seq > seq || r.done.length > 0);
}
