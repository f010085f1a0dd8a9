import type { Logger } from 'pino';
import {
  baseUrlOf,
  createClient,
  planFeeds,
  type Credentials,
  type MpClient,
  type MpOutcome,
  type OutBatch,
} from '../mparticle/index.js';
import type { SecretBox } from '../secrets.js';
import { toError } from '../store/errors.js';
import type { Store } from '../store/port.js';
import type { Destination, ExportRecord, Slot } from '../types.js';
import { every, systemClock, type Clock } from './clock.js';
import type { LeaseManager } from './leases.js';
import type { Notifier } from './notify.js';
import type { DeliveryObserver } from './observer.js';
import type { BackoffSettings } from './policy.js';
import { ChunkSlots, ReadBudget } from './budget.js';
import { ExportRunner } from './runner.js';
import { Wakeup } from './signal.js';

/** How long a lane waits for a chunk slot before it goes on without one (budget.ts, ChunkSlots). */
export const CHUNK_SLOT_WAIT_MS = 1_000;

export interface EngineDeps {
  store: Store;
  secrets: SecretBox;
  notifier: Notifier;
  observer: DeliveryObserver;
  logger: Logger;
  partitions: number;
  readChunk: number;
  /**
   * Bytes of stored events all lanes of this process may hold at once (budget.ts): lanes read fewer than
   * `readChunk` rows when it is spent. Default: no budget, `readChunk` rows per lane.
   */
  readBudgetBytes?: number;
  /**
   * How many lanes of this process work on a chunk at once (budget.ts); a lane waits `CHUNK_SLOT_WAIT_MS` at most
   * for one. Default (or 0): no bound.
   */
  chunksInFlight?: number;
  idlePollMs: number;
  /** How long a lane may hold a read that is not full so that a user's events share a batch (default 0). */
  batchWaitMs?: number;
  probeIntervalMs: number;
  requestTimeoutMs: number;
  /** How often the engine looks for exports changed by the API (of any process sharing the store). */
  refreshMs?: number;
  backoff?: BackoffSettings;
  /** Time for every wait of delivery (default: the system's). */
  clock?: Clock;
  random?: () => number;
  /** How long a request under way may take once delivery is told to stop (default 5 s). */
  stopGraceMs?: number;
  /** Batches per request (default mParticle's 100; tests pack fewer). */
  maxBatchesPerRequest?: number;
  /** The mParticle client for one destination (default: the undici client). */
  createClient?: (opts: { baseUrl: string; timeoutMs: number; connections: number }) => MpClient;
  /** Several processes share the store: lanes run only for the keys whose lease this process holds. */
  leases?: LeaseManager;
  leaseTtlMs?: number;
  /**
   * False in a process of role `ingest`: it never delivers. No runner starts, so no cursor, lease or feed state is
   * written and no feed is probed; the API's nudges (refresh, wake) do nothing and the delivery processes pick
   * changes up from the store. Default true.
   */
  delivers?: boolean;
}

export interface CredentialCheck {
  slots: Slot[];
  key: string;
  accepted: boolean;
  status: number | null;
  message: string;
}

/**
 * The delivery engine: one runner per export, kept in step with the exports in the store. The API changes exports
 * in the store and nudges the engine (`refresh`); other processes sharing the store notice on the next poll.
 * States of the engine: idle ─start─► running ─stop─► stopped.
 */
export class DeliveryEngine {
  readonly newData: Wakeup;
  readonly #runners = new Map<string, ExportRunner>();
  #cancelTimer: (() => void) | null = null;
  #cancelLeaseTimer: (() => void) | null = null;
  #leasing: Promise<void> | null = null;
  #refreshing: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  readonly #clock: Clock;
  readonly #createClient: NonNullable<EngineDeps['createClient']>;
  /** What every lane of every export holds, bounded together. */
  readonly #budget: ReadBudget | undefined;
  readonly #slots: ChunkSlots | undefined;

  constructor(private readonly deps: EngineDeps) {
    this.#clock = deps.clock ?? systemClock;
    this.#budget = deps.readBudgetBytes === undefined ? undefined : new ReadBudget(deps.readBudgetBytes);
    const slots = deps.chunksInFlight ?? 0;
    this.#slots = slots > 0 ? new ChunkSlots(slots, CHUNK_SLOT_WAIT_MS, this.#clock) : undefined;
    this.#createClient = deps.createClient ?? createClient;
    this.newData = new Wakeup(this.#clock);
  }

  /** Lanes working on a chunk now, by the slots they hold (0 without CURRENTS_CHUNKS_IN_FLIGHT). */
  get chunksWorking(): number {
    return this.#slots ? this.#slots.slots - this.#slots.free : 0;
  }

  /** Bytes of stored events the lanes hold now (0 without a budget). */
  get bufferedBytes(): number {
    return this.#budget?.held ?? 0;
  }

  async start(): Promise<void> {
    if (this.deps.delivers === false) return;
    await this.refresh();
    this.#cancelTimer = every(this.#clock, this.deps.refreshMs ?? 2_000, () => void this.refresh());
    if (this.deps.leases) {
      await this.#rebalance();
      const ms = Math.max(100, (this.deps.leaseTtlMs ?? 15_000) / 4);
      this.#cancelLeaseTimer = every(this.#clock, ms, () => void this.#rebalance());
    }
  }

  /** Renew leases, take newly assigned keys, and hand back the keys assigned elsewhere once their lanes stopped. */
  #rebalance(): Promise<void> {
    const leases = this.deps.leases;
    if (!leases || this.#stopped) return Promise.resolve();
    this.#leasing ??= (async () => {
      try {
        const keys = [...this.#runners.values()].flatMap((r) => r.leaseKeys());
        const { changed, toRelease } = await leases.tick(keys);
        for (const runner of this.#runners.values()) runner.setRateShare(leases.share(runner.id));
        if (changed) for (const runner of this.#runners.values()) await runner.rebalance();
        await leases.release(toRelease);
      } catch (e) {
        this.deps.logger.warn({ err: toError(e) }, 'could not rebalance delivery leases');
      }
    })().finally(() => {
      this.#leasing = null;
    });
    return this.#leasing;
  }

  /** New events were appended: wake idle lanes now rather than at their next poll. */
  wake(): void {
    this.newData.notify();
  }

  runner(exportId: string): ExportRunner | undefined {
    return this.#runners.get(exportId);
  }

  /** Bring runners in step with the stored exports. Concurrent calls coalesce into one more pass. */
  refresh(): Promise<void> {
    if (this.deps.delivers === false) return Promise.resolve();
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        try {
          await this.#sync();
        } catch (e) {
          this.deps.logger.error({ err: toError(e) }, 'could not bring delivery in step with the exports');
        }
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    const records = await this.deps.store.listExports();
    const seen = new Set<string>();
    for (const record of records) {
      seen.add(record.id);
      const runner = this.#runners.get(record.id);
      if (runner === undefined) {
        await this.#startRunner(record);
      } else if (record.updatedAt !== runner.record.updatedAt) {
        if (runner.needsRestart(record)) {
          await runner.stop();
          this.#runners.delete(record.id);
          await this.#startRunner(record);
        } else {
          runner.update(record);
          // Lanes stopped by a refused write (their cursor was rewritten) start again from the store.
          await runner.rebalance();
        }
      } else {
        await runner.syncFeeds();
        await runner.refreshReplays();
        await runner.rebalance();
      }
    }
    for (const [id, runner] of this.#runners) {
      if (seen.has(id)) continue;
      await runner.stop();
      this.#runners.delete(id);
    }
  }

  async #startRunner(record: ExportRecord): Promise<void> {
    const runner = new ExportRunner(record, {
      store: this.deps.store,
      secrets: this.deps.secrets,
      notifier: this.deps.notifier,
      observer: this.deps.observer,
      logger: this.deps.logger,
      newData: this.newData,
      partitions: this.deps.partitions,
      readChunk: this.deps.readChunk,
      ...(this.#budget ? { budget: this.#budget } : {}),
      ...(this.#slots ? { slots: this.#slots } : {}),
      idlePollMs: this.deps.idlePollMs,
      batchWaitMs: this.deps.batchWaitMs ?? 0,
      probeIntervalMs: this.deps.probeIntervalMs,
      requestTimeoutMs: this.deps.requestTimeoutMs,
      ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}),
      clock: this.#clock,
      random: this.deps.random ?? Math.random,
      stopGraceMs: this.deps.stopGraceMs ?? 5_000,
      createClient: this.#createClient,
      ...(this.deps.maxBatchesPerRequest ? { maxBatchesPerRequest: this.deps.maxBatchesPerRequest } : {}),
      onStale: () => void this.refresh(),
      owns: this.deps.leases ? (e, f, p) => this.deps.leases!.owns(e, f, p) : () => true,
      ...(this.deps.leases ? { leaseOwner: this.deps.leases.owner } : {}),
    });
    try {
      await runner.start();
      this.#runners.set(record.id, runner);
    } catch (e) {
      await runner.stop();
      this.deps.logger.error({ err: toError(e), exportId: record.id }, 'could not start delivery of an export');
    }
  }

  /** Send an empty request per distinct key and report which keys mParticle accepts. */
  async testCredentials(
    destination: Destination,
    feeds: Partial<Record<Slot, Credentials>>,
  ): Promise<CredentialCheck[]> {
    const client = this.#createClient({
      baseUrl: baseUrlOf(destination),
      timeoutMs: this.deps.requestTimeoutMs,
      connections: 4,
    });
    try {
      return await Promise.all(
        planFeeds(feeds).map(async (plan) => {
          const creds = feeds[plan.slots[0]!]!;
          const outcome = await client.probe(creds);
          return {
            slots: plan.slots,
            key: plan.key,
            accepted: outcome.action === 'done',
            status: outcome.status,
            message: outcome.message,
          };
        }),
      );
    } finally {
      await client.close();
    }
  }

  /**
   * Send dead letters again, one request each, with their feed's current credentials. Delivered ones leave the
   * dead letters and count as delivered; the others keep their place with the new error.
   */
  async retryDeadLetters(
    exportId: string,
    ids: readonly number[] | 'all',
  ): Promise<{ delivered: number; failed: { id: number; error: string }[] }> {
    const { store } = this.deps;
    const record = await store.getExport(exportId);
    if (record === null) throw new Error(`no export ${exportId}`);
    const letters =
      ids === 'all'
        ? await store.listDeadLetters(exportId, { limit: 10_000 })
        : await store.getDeadLetters(exportId, ids);
    const plans = planFeeds(record.feeds);
    const client = this.#runners.get(exportId)?.client() ?? null;
    const own =
      client === null
        ? this.#createClient({
            baseUrl: baseUrlOf(record.destination),
            timeoutMs: this.deps.requestTimeoutMs,
            connections: 4,
          })
        : null;
    const result = { delivered: 0, failed: [] as { id: number; error: string }[] };
    try {
      for (const letter of letters) {
        const plan =
          plans.find((p) => p.id === letter.feed) ?? plans.find((p) => p.slots.includes('unbound')) ?? plans[0];
        if (plan === undefined) {
          result.failed.push({ id: letter.id, error: 'the export has no feed left to send it to' });
          continue;
        }
        const stored = record.feeds[plan.slots[0]!]!;
        const creds = { key: stored.key, secret: this.deps.secrets.decrypt(stored.secretEnc) };
        const path = isHistorical(letter.batch, this.#clock.now()) ? '/v2/bulkevents/historical' : '/v2/bulkevents';
        const outcome: MpOutcome = await (client ?? own!).send(path, `[${letter.batch}]`, creds);
        if (outcome.action === 'done') {
          const perType = new Map<string, number>();
          for (const type of letter.types) perType.set(type, (perType.get(type) ?? 0) + 1);
          const counters = [...perType].flatMap(([type, n]) => [
            { feed: letter.feed, type, outcome: 'delivered' as const, count: n },
            { feed: letter.feed, type, outcome: 'dead_lettered' as const, count: -n },
          ]);
          // Counted where every other delivery is: the export's totals, its per-minute series and the metrics.
          if (await store.resolveDeadLetter(letter.id, counters, this.#clock.now())) {
            for (const [type, n] of perType) this.deps.observer.outcome(exportId, letter.feed, type, 'delivered', n);
          }
          result.delivered += 1;
        } else {
          const error = outcome.kind === 'bad_request' ? outcome.error : outcome.message;
          await store.failDeadLetter(letter.id, outcome.status, error, this.#clock.now());
          result.failed.push({ id: letter.id, error });
        }
      }
    } finally {
      await own?.close();
    }
    return result;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelLeaseTimer?.();
    await this.#refreshing;
    await this.#leasing;
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
    this.#runners.clear();
    await this.deps.leases?.releaseAll();
    await this.deps.notifier.close();
  }
}

function isHistorical(batchJson: string, now: number): boolean {
  const batch = JSON.parse(batchJson) as OutBatch['batch'];
  const times = batch.events.map((e) => e.data.timestamp_unixtime_ms);
  return times.length > 0 && times.every((t) => now - t > 30 * 24 * 3_600_000);
}
