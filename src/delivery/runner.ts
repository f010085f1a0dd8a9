import type { Logger } from 'pino';
import { baseUrlOf, type Credentials, type FeedPlan, type MpClient } from '../mparticle/index.js';
import type { SecretBox } from '../secrets.js';
import { toError } from '../store/errors.js';
import { newCursorVersion } from '../store/shared.js';
import type { Store } from '../store/port.js';
import type { Cursor, ExportRecord, Replay } from '../types.js';
import type { Clock } from './clock.js';
import type { ChunkSlots, ReadBudget } from './budget.js';
import { FeedController } from './feed.js';
import { Lane } from './lane.js';
import type { Notifier } from './notify.js';
import type { DeliveryObserver } from './observer.js';
import { DEFAULT_BACKOFF, type BackoffSettings } from './policy.js';
import { RateLimiter } from './rate-limiter.js';
import { isRetired, regroupCursors } from './regroup.js';
import type { Wakeup } from './signal.js';
import { snapshotOf, type ExportSnapshot } from './snapshot.js';

export interface RunnerDeps {
  store: Store;
  secrets: SecretBox;
  notifier: Notifier;
  observer: DeliveryObserver;
  logger: Logger;
  newData: Wakeup;
  partitions: number;
  readChunk: number;
  /** Shared by every lane of the process (budget.ts). */
  budget?: ReadBudget;
  /** Shared by every lane of the process (budget.ts). */
  slots?: ChunkSlots;
  idlePollMs: number;
  batchWaitMs: number;
  probeIntervalMs: number;
  requestTimeoutMs: number;
  backoff?: BackoffSettings;
  clock: Clock;
  random: () => number;
  /** How long a request under way may take once delivery is told to stop. */
  stopGraceMs: number;
  /** Batches per request (default mParticle's 100). */
  maxBatchesPerRequest?: number;
  /** The mParticle client for one destination (the real one, or a test's fake). */
  createClient: (opts: { baseUrl: string; timeoutMs: number; connections: number }) => MpClient;
  /** A lane found the export changed under it: bring delivery in step with the store soon. */
  onStale: () => void;
  /** Whether this process sends this (export, feed, partition); all of them without leases. */
  owns: (exportId: string, feed: string, partition: number) => boolean;
  /** With leases: this process's owner id, which fences every commit. */
  leaseOwner?: string;
}

interface RunningLane {
  lane: Lane;
  stop: AbortController;
  done: Promise<'stopped' | 'finished'>;
}

/**
 * Everything that sends one export: its mParticle client, its rate limiter, a controller per feed and a lane per
 * (feed, partition, generation). A change of the export's settings either applies in place (event types, names,
 * secrets, rate, hold window) or, when the feeds, destination or state change, restarts the runner.
 */
export class ExportRunner {
  #snapshot: ExportSnapshot;
  #client: MpClient | null = null;
  readonly #limiter: RateLimiter;
  readonly #feeds = new Map<string, FeedController>();
  readonly #lanes = new Map<string, RunningLane>();
  #replays: Replay[] = [];
  /** This process's share of the export's rate limit (several processes share one export's limit). */
  #rateShare = 1;

  constructor(
    record: ExportRecord,
    private readonly deps: RunnerDeps,
  ) {
    this.#snapshot = snapshotOf(record);
    this.#limiter = new RateLimiter(record.rateLimit, deps.clock);
  }

  get record(): ExportRecord {
    return this.#snapshot.record;
  }

  get id(): string {
    return this.record.id;
  }

  feed(id: string): FeedController | undefined {
    return this.#feeds.get(id);
  }

  get feeds(): FeedController[] {
    return [...this.#feeds.values()];
  }

  client(): MpClient {
    this.#client ??= this.deps.createClient({
      baseUrl: baseUrlOf(this.record.destination),
      timeoutMs: this.deps.requestTimeoutMs,
      connections: 8,
    });
    return this.#client;
  }

  credentialsOf(plan: FeedPlan): Credentials {
    const slot = plan.slots[0]!;
    const stored = this.record.feeds[slot];
    if (stored === undefined) throw new Error(`export ${this.id} has no credentials for ${slot}`);
    return { key: stored.key, secret: this.deps.secrets.decrypt(stored.secretEnc) };
  }

  /** Would `next` need a restart, or can it be applied in place? */
  needsRestart(next: ExportRecord): boolean {
    const before = this.#snapshot;
    const after = snapshotOf(next);
    return (
      next.state !== before.record.state ||
      JSON.stringify(next.destination) !== JSON.stringify(before.record.destination) ||
      after.plans.map((p) => `${p.id}=${p.key}`).join(',') !== before.plans.map((p) => `${p.id}=${p.key}`).join(',')
    );
  }

  /** Send at this fraction of the export's rate limit (its share of the partitions, with several processes). */
  setRateShare(share: number): void {
    this.#rateShare = share;
    this.#applyRate();
  }

  #applyRate(): void {
    const limit = this.record.rateLimit;
    // 0 means unlimited; a process with a share of nothing keeps a small limit (it sends nothing anyway).
    this.#limiter.setLimit(limit === 0 ? 0 : Math.max(1, limit * this.#rateShare));
  }

  /** Apply settings that need no restart. */
  update(next: ExportRecord): void {
    this.#snapshot = snapshotOf(next);
    this.#applyRate();
    for (const plan of this.#snapshot.plans) this.#feeds.get(plan.id)?.updateCredentials(this.credentialsOf(plan));
  }

  async start(): Promise<void> {
    if (this.record.state === 'paused') return;
    const { store } = this.deps;
    for (const plan of this.#snapshot.plans) {
      const feed = new FeedController(plan, this.credentialsOf(plan), {
        exportId: this.id,
        exportName: () => this.record.name,
        contactEmail: () => this.record.contactEmail,
        holdWindowMs: () => this.#snapshot.holdWindowMs,
        changedAt: () => this.record.updatedAt,
        store,
        client: () => this.client(),
        notifier: this.deps.notifier,
        logger: this.deps.logger,
        probeIntervalMs: this.deps.probeIntervalMs,
        clock: this.deps.clock,
      });
      await feed.sync();
      this.#feeds.set(plan.id, feed);
    }
    this.#replays = (await store.listReplays(this.id)).filter((r) => r.finishedAt === null);
    const cursors = await this.#ensureCursors();
    for (const cursor of cursors) this.#startLane(cursor);
  }

  /** Adopt feed states other processes changed (a hold, a resume). */
  async syncFeeds(): Promise<void> {
    for (const feed of this.#feeds.values()) await feed.sync();
  }

  /** Start lanes for replays asked for since the runner started. */
  async refreshReplays(): Promise<void> {
    if (this.record.state === 'paused') return;
    const replays = (await this.deps.store.listReplays(this.id)).filter((r) => r.finishedAt === null);
    const fresh = replays.filter((r) => !this.#replays.some((k) => k.generation === r.generation));
    if (fresh.length === 0) return;
    this.#replays = replays;
    const cursors = await this.#ensureCursors();
    for (const cursor of cursors) if (fresh.some((r) => r.generation === cursor.generation)) this.#startLane(cursor);
  }

  /** Every (feed, partition) of this export, for the lease assignment; none while paused. */
  leaseKeys(): { exportId: string; feed: string; partition: number }[] {
    if (this.record.state === 'paused') return [];
    return this.#snapshot.plans.flatMap((plan) =>
      Array.from({ length: this.deps.partitions }, (_, partition) => ({ exportId: this.id, feed: plan.id, partition })),
    );
  }

  /** Start or stop lanes as ownership changes (leases). */
  async rebalance(): Promise<void> {
    if (this.record.state === 'paused') return;
    const cursors = (await this.deps.store.getCursors(this.id)).filter((c) => !isRetired(c.feed));
    // Cursors read, then the record: a regroup of these cursors by another process came after the edit behind it,
    // so an unchanged record means they were laid out under these settings. Otherwise the runner is brought in step
    // first (the engine's refresh rebalances again): a lane on older settings than its cursor's could pass events
    // its feed now carries (a slot given to it) as if they were another feed's. Only a lane about to start needs
    // the record: the lanes running find a rewritten cursor at their next write.
    const starting = cursors.some(
      (c) => this.deps.owns(c.exportId, c.feed, c.partition) && !this.#lanes.has(laneKey(c)),
    );
    if (starting) {
      const stored = await this.deps.store.getExport(this.id);
      if (stored !== null && stored.updatedAt !== this.record.updatedAt) {
        this.deps.onStale();
        return;
      }
    }
    for (const cursor of cursors) {
      const key = laneKey(cursor);
      const owned = this.deps.owns(cursor.exportId, cursor.feed, cursor.partition);
      const running = this.#lanes.get(key);
      if (owned && !running) this.#startLane(cursor);
      if (!owned && running) {
        running.stop.abort();
        await running.done;
      }
    }
  }

  async stop(): Promise<void> {
    const lanes = [...this.#lanes.values()];
    for (const running of lanes) running.stop.abort();
    for (const feed of this.#feeds.values()) feed.stop();
    await Promise.all(lanes.map((r) => r.done));
    await Promise.all([...this.#feeds.values()].map((f) => f.settle()));
    this.#lanes.clear();
    this.#feeds.clear();
    const client = this.#client;
    this.#client = null;
    await client?.close();
  }

  async #ensureCursors(): Promise<Cursor[]> {
    const generations = [0, ...this.#replays.map((r) => r.generation)];
    const all: Cursor[] = [];
    for (const generation of generations) all.push(...(await this.#regroup(generation)));
    return all;
  }

  /**
   * The cursors of one generation for the feeds of now. The new layout replaces the old one only if no cursor of it
   * moved meanwhile (another process sends some of its partitions): otherwise it is computed again from the store.
   */
  async #regroup(generation: number): Promise<Cursor[]> {
    const { store, partitions } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const old = (await store.getCursors(this.id)).filter((c) => c.generation === generation);
      const { keep, create, removeFeeds } = regroupCursors(old, this.#snapshot.plans, {
        exportId: this.id,
        partitions,
        generation,
        startSeq: generation === 0 ? this.record.startSeq : 0,
      });
      // Versioned here, so that the lanes started on them can write over them.
      const created = create.map((c) => ({ ...c, version: newCursorVersion() }));
      if (created.length === 0 && removeFeeds.length === 0) return keep;
      const expected = old.map((c) => ({ feed: c.feed, partition: c.partition, version: c.version ?? 0 }));
      if (await store.replaceCursors(this.id, generation, expected, created, removeFeeds)) {
        return [...keep, ...created.filter((c) => !isRetired(c.feed))];
      }
      if (attempt >= 20) throw new Error(`could not regroup the cursors of export ${this.id}: they keep moving`);
    }
  }

  #startLane(cursor: Cursor): void {
    const key = laneKey(cursor);
    if (this.#lanes.has(key) || !this.deps.owns(cursor.exportId, cursor.feed, cursor.partition)) return;
    const feed = this.#feeds.get(cursor.feed);
    if (feed === undefined) return;
    const replay = this.#replays.find((r) => r.generation === cursor.generation);
    if (cursor.generation > 0 && replay === undefined) return;
    const lane = new Lane(
      cursor,
      replay ? { uptoSeq: replay.uptoSeq, fromTime: replay.fromTime, toTime: replay.toTime } : {},
      {
        store: this.deps.store,
        feed,
        limiter: this.#limiter,
        snapshot: () => this.#snapshot,
        client: () => this.client(),
        observer: this.deps.observer,
        logger: this.deps.logger,
        newData: this.deps.newData,
        owns: () => this.deps.owns(cursor.exportId, cursor.feed, cursor.partition),
        onStale: () => this.deps.onStale(),
        ...(this.deps.leaseOwner ? { leaseOwner: this.deps.leaseOwner } : {}),
        readChunk: this.deps.readChunk,
        ...(this.deps.budget ? { budget: this.deps.budget } : {}),
        ...(this.deps.slots ? { slots: this.deps.slots } : {}),
        idlePollMs: this.deps.idlePollMs,
        batchWaitMs: this.deps.batchWaitMs,
        backoff: this.deps.backoff ?? DEFAULT_BACKOFF,
        clock: this.deps.clock,
        random: this.deps.random,
        stopGraceMs: this.deps.stopGraceMs,
        ...(this.deps.maxBatchesPerRequest ? { maxBatchesPerRequest: this.deps.maxBatchesPerRequest } : {}),
      },
    );
    const stop = new AbortController();
    const running: RunningLane = {
      lane,
      stop,
      done: lane.run(stop.signal).then(async (end) => {
        // A lane that ended (lease lost, replay finished) leaves room for a new one when it is owned again.
        if (this.#lanes.get(key) === running) this.#lanes.delete(key);
        if (end === 'finished') await this.#laneFinished(cursor.generation);
        return end;
      }),
    };
    this.#lanes.set(key, running);
  }

  /** A replay is finished when all its lanes are: its cursors go, releasing its hold on the log. */
  async #laneFinished(generation: number): Promise<void> {
    try {
      const cursors = (await this.deps.store.getCursors(this.id)).filter((c) => c.generation === generation);
      const replay = this.#replays.find((r) => r.generation === generation);
      const live = cursors.filter((c) => !isRetired(c.feed));
      if (replay === undefined || live.some((c) => c.seq < replay.uptoSeq || c.inflight)) return;
      await this.deps.store.finishReplay(this.id, generation, this.deps.clock.now());
      for (const feed of new Set(cursors.map((c) => c.feed))) {
        await this.deps.store.deleteCursors(this.id, feed, generation);
      }
      this.#replays = this.#replays.filter((r) => r.generation !== generation);
    } catch (e) {
      this.deps.logger.warn({ err: toError(e), exportId: this.id, generation }, 'could not close a finished replay');
    }
  }
}

function laneKey(c: Cursor): string {
  return `${c.feed}\u0000${c.partition}\u0000${c.generation}`;
}
