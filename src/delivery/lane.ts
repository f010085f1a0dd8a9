import type { Logger } from 'pino';
import { buildBatches, packRequests, type MpClient, type OutRequest } from '../mparticle/index.js';
import { LeaseLostError, toError } from '../store/errors.js';
import type { ReadQuery, Store } from '../store/port.js';
import type { CurrentsEvent, Cursor, Inflight, LogRow } from '../types.js';
import type { ExportSnapshot } from './snapshot.js';
import type { FeedController } from './feed.js';
import type { DeliveryObserver } from './observer.js';
import type { BackoffSettings } from './policy.js';
import type { RateLimiter } from './rate-limiter.js';
import { sendRequest } from './send.js';
import { sleep, type Wakeup } from './signal.js';
import { independent, sendInWindow } from './window.js';
import { Tally } from './tally.js';

/**
 * A lane sends one partition of the log to one feed of one export (generation 0), or re-sends it for a replay
 * (generation > 0). One lane per partition and feed is what keeps order per user.
 *
 * A step reads a chunk after the cursor, maps and packs it into requests, records the chunk's range as in flight,
 * sends the requests in order, and commits the cursor past the chunk together with what happened to its events.
 * A chunk is a fixed range of the log: after a crash or a hold it is read again exactly, packed the same way, and
 * the requests already delivered (`inflight.done`) are not sent again; those sent but not recorded are sent again
 * with the same source_request_id, which mParticle recognises.
 *
 * States: sending ─(feed held)─► holding ─(feed flowing)─► sending; either ─(stop)─► stopped; a replay lane that
 * reaches its end ─► finished.
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
  readChunk: number;
  idlePollMs: number;
  backoff: BackoffSettings;
  now: () => number;
  random: () => number;
}

export interface LaneRange {
  /** A replay's end (inclusive) and event-time range. */
  uptoSeq?: number;
  fromTime?: number;
  toTime?: number;
}

interface Chunk {
  rows: LogRow[];
  to: number;
  inflight: Inflight | null;
}

interface Plan {
  requests: OutRequest[];
  rowsBySeq: Map<number, LogRow>;
  /** Skipped, refused and foreign test events: recorded when the chunk is committed. */
  closing: Tally;
}

const IDLE_COMMIT_MS = 5_000;
/** Requests of one chunk in flight at once, when no user has batches in two of them (order per user holds). */
const REQUESTS_IN_FLIGHT = 4;

export class Lane {
  #cursor: Cursor;
  /** Where the next read starts: past rows already scanned that matched nothing (not yet persisted). */
  #scanFrom: number;
  #idleCommittedAt = 0;

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
        if (this.deps.feed.phase === 'credentials_rejected') await this.#holdStep(stop);
        else await this.#sendStep(stop);
      } catch (e) {
        // Another process took this partition over: it continues from the last committed cursor.
        if (e instanceof LeaseLostError) return 'stopped';
        const err = toError(e);
        this.deps.logger.error(
          { err, exportId: this.#cursor.exportId, feed: this.#cursor.feed, partition: this.partition },
          'delivery step failed; retrying',
        );
        await sleep(1_000, stop);
      }
    }
    return 'stopped';
  }

  #finished(): boolean {
    return this.range.uptoSeq !== undefined && this.#cursor.seq >= this.range.uptoSeq && !this.#cursor.inflight;
  }

  async #sendStep(stop: AbortSignal): Promise<void> {
    const chunk = await this.#load();
    if (chunk === null) {
      await this.deps.newData.wait(this.deps.idlePollMs, stop);
      return;
    }
    const plan = this.#plan(chunk);
    const at = chunk.inflight?.at ?? this.deps.now();
    let done = chunk.inflight?.done ?? 0;
    if (chunk.inflight === null && plan.requests.length > 0) {
      await this.#setInflight({ to: chunk.to, done: 0, at });
    }
    const tally = plan.closing;
    const partial = new Tally(this.#cursor.exportId, this.#cursor.feed);
    const width = independent(plan.requests) ? REQUESTS_IN_FLIGHT : 1;
    const sent = await sendInWindow(plan.requests.length, done, width, (i) =>
      // The lease was lost (another process takes this partition over): stop between requests.
      !this.deps.owns()
        ? Promise.resolve({ kind: 'stopped' } as const)
        : sendRequest(plan.requests[i]!, {
            exportId: this.#cursor.exportId,
            feed: this.deps.feed,
            client: this.deps.client,
            limiter: this.deps.limiter,
            observer: this.deps.observer,
            backoff: this.deps.backoff,
            now: this.deps.now,
            random: this.deps.random,
            stop,
            expiredSince: (r, since) => this.#expired(r, plan, since),
          }),
    );
    for (; done < sent.end; done++) {
      const result = sent.results[done]!;
      if (result.kind === 'sent') partial.merge(result.tally);
      else if (result.kind === 'expired') {
        const reason = `mParticle kept failing (${result.outcome.message}) longer than the hold window`;
        this.#dropRequest(plan.requests[done]!, plan, partial, reason);
      }
    }
    if (done < plan.requests.length) {
      // Held or stopped: record what this chunk delivered so far; the rest is sent (or dropped) later from `done`.
      if (!partial.empty) await this.#commit({ to: chunk.to, done, at }, partial);
      return;
    }
    tally.merge(partial);
    await this.#commit(null, tally, chunk.to);
  }

  /** While the feed's credentials are refused: drop, in order, the requests whose events all waited too long. */
  async #holdStep(stop: AbortSignal): Promise<void> {
    const feed = this.deps.feed;
    const chunk = await this.#load();
    if (chunk === null) {
      await feed.changed.wait(this.deps.idlePollMs * 10, stop);
      return;
    }
    const plan = this.#plan(chunk);
    const at = chunk.inflight?.at ?? this.deps.now();
    const heldSince = feed.heldSince ?? this.deps.now();
    let done = chunk.inflight?.done ?? 0;
    const dropped = new Tally(this.#cursor.exportId, this.#cursor.feed);
    const reason = `mParticle refused the feed's credentials for longer than the hold window (held since ${new Date(heldSince).toISOString()})`;
    while (done < plan.requests.length && this.#expired(plan.requests[done]!, plan, heldSince)) {
      this.#dropRequest(plan.requests[done]!, plan, dropped, reason);
      done += 1;
    }
    if (done === plan.requests.length) {
      plan.closing.merge(dropped);
      await this.#commit(null, plan.closing, chunk.to);
    } else if (!dropped.empty) {
      await this.#commit({ to: chunk.to, done, at }, dropped);
    }
    if (dropped.dropCount > 0) feed.droppedNotice(dropped.dropCount, reason);
    if (done < plan.requests.length) {
      const wait = this.#nextExpiry(plan.requests[done]!, plan, heldSince) - this.deps.now();
      await feed.changed.wait(Math.max(50, Math.min(wait, 60_000)), stop);
    }
  }

  async #load(): Promise<Chunk | null> {
    const snapshot = this.deps.snapshot();
    const base: Omit<ReadQuery, 'afterSeq' | 'limit'> = {
      partition: this.partition,
      types: snapshot.types,
      ...snapshot.readFilter(this.#cursor.feed),
      ...(this.range.fromTime !== undefined ? { fromTime: this.range.fromTime } : {}),
      ...(this.range.toTime !== undefined ? { toTime: this.range.toTime } : {}),
    };
    const inflight = this.#cursor.inflight;
    if (inflight) {
      const r = await this.deps.store.read({
        ...base,
        afterSeq: this.#cursor.seq,
        uptoSeq: inflight.to,
        limit: Math.max(this.deps.readChunk, 100_000),
      });
      if (r.scannedTo >= inflight.to) return { rows: r.rows, to: inflight.to, inflight };
      // The range could not be read whole again (settings changed): start it afresh from the cursor.
      this.#cursor = { ...this.#cursor, inflight: null };
    }
    const r = await this.deps.store.read({
      ...base,
      afterSeq: Math.max(this.#scanFrom, this.#cursor.seq),
      ...(this.range.uptoSeq !== undefined ? { uptoSeq: this.range.uptoSeq } : {}),
      limit: this.deps.readChunk,
    });
    if (r.rows.length > 0) return { rows: r.rows, to: r.scannedTo, inflight: null };
    this.#scanFrom = Math.max(this.#scanFrom, r.scannedTo);
    const now = this.deps.now();
    const reachedEnd = this.range.uptoSeq !== undefined && this.#scanFrom >= this.range.uptoSeq;
    if (this.#scanFrom > this.#cursor.seq && (reachedEnd || now - this.#idleCommittedAt > IDLE_COMMIT_MS)) {
      this.#idleCommittedAt = now;
      await this.#commit(null, new Tally(this.#cursor.exportId, this.#cursor.feed), this.#scanFrom);
    }
    return null;
  }

  #plan(chunk: Chunk): Plan {
    const snapshot = this.deps.snapshot();
    const closing = new Tally(this.#cursor.exportId, this.#cursor.feed);
    const rowsBySeq = new Map<number, LogRow>();
    const events: { seq: number; event: CurrentsEvent }[] = [];
    for (const row of chunk.rows) {
      const event = JSON.parse(row.payload) as CurrentsEvent;
      const testOf = event.currents_test_export_id;
      // "Send test events" of one export reach that export only.
      if (typeof testOf === 'string' && testOf !== this.#cursor.exportId) continue;
      rowsBySeq.set(row.seq, row);
      events.push({ seq: row.seq, event });
    }
    const at = chunk.inflight?.at ?? this.deps.now();
    const built = buildBatches(events, {
      settings: snapshot.settings,
      merge: snapshot.record.mergeBatches,
      feedId: this.#cursor.feed,
      generation: this.#cursor.generation,
      now: at,
    });
    for (const s of built.skipped) closing.count(s.type, 'skipped');
    for (const refused of [...built.invalid, ...built.tooLarge]) {
      closing.deadLetter(refused.batch, null, `not sent: ${refused.error}`, at);
    }
    return { requests: packRequests(built.batches), rowsBySeq, closing };
  }

  #receivedAts(request: OutRequest, plan: Plan): number[] {
    const out: number[] = [];
    for (const batch of request.batches) {
      for (const seq of batch.seqs) out.push(plan.rowsBySeq.get(seq)?.receivedAt ?? 0);
    }
    return out;
  }

  /** Every event of the request has waited longer than the hold window since max(received, since). */
  #expired(request: OutRequest, plan: Plan, since: number): boolean {
    return this.#nextExpiry(request, plan, since) <= this.deps.now();
  }

  #nextExpiry(request: OutRequest, plan: Plan, since: number): number {
    const window = this.deps.snapshot().holdWindowMs;
    let latest = 0;
    for (const receivedAt of this.#receivedAts(request, plan)) latest = Math.max(latest, receivedAt);
    return Math.max(latest, since) + window;
  }

  #dropRequest(request: OutRequest, plan: Plan, tally: Tally, reason: string): void {
    const at = this.deps.now();
    for (const batch of request.batches) {
      batch.seqs.forEach((seq, i) => {
        const row = plan.rowsBySeq.get(seq);
        tally.drop(batch.types[i]!, row?.time ?? 0, reason, at);
      });
    }
  }

  async #setInflight(inflight: Inflight): Promise<void> {
    const c = this.#cursor;
    await this.deps.store.setInflight(c.exportId, c.feed, c.partition, c.generation, inflight);
    this.#cursor = { ...c, inflight };
  }

  /** Persist a step: with `inflight` the cursor stays and the chunk's progress is kept; without, the cursor moves to `to`. */
  async #commit(inflight: Inflight | null, tally: Tally, to?: number): Promise<void> {
    const c = this.#cursor;
    const seq = inflight === null ? (to ?? c.seq) : c.seq;
    await this.deps.store.commitProgress({
      exportId: c.exportId,
      feed: c.feed,
      partition: c.partition,
      generation: c.generation,
      seq,
      inflight,
      counters: tally.counters(),
      deadLetters: tally.deadLetters,
      drops: tally.drops(),
      delivered: tally.delivered > 0 ? { count: tally.delivered, at: this.deps.now() } : null,
      ...(this.deps.leaseOwner ? { fence: { owner: this.deps.leaseOwner, now: this.deps.now() } } : {}),
    });
    this.#cursor = { ...c, seq, inflight };
    this.#scanFrom = Math.max(this.#scanFrom, seq);
    for (const d of tally.counters()) this.deps.observer.outcome(c.exportId, c.feed, d.type, d.outcome, d.count);
  }
}
