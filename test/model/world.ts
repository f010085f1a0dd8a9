import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { sampleEvent } from '../../src/catalog/sample.js';
import type { Clock } from '../../src/delivery/clock.js';
import { DeliveryEngine } from '../../src/delivery/engine.js';
import { LeaseManager } from '../../src/delivery/leases.js';
import type { Notice, Notifier } from '../../src/delivery/notify.js';
import type { DeliveryObserver } from '../../src/delivery/observer.js';
import { isRetired } from '../../src/delivery/regroup.js';
import { snapshotOf } from '../../src/delivery/snapshot.js';
import { toNewEvent } from '../../src/ingest/normalize.js';
import { SecretBox } from '../../src/secrets.js';
import { applyPatch } from '../../src/server/exports/service.js';
import type { MpClient } from '../../src/mparticle/index.js';
import type { PatchExportBody } from '../../src/server/exports/schemas.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { CurrentsEvent, ExportRecord, Outcome } from '../../src/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { CALM, FakeMparticle } from './fake-mparticle.js';

/**
 * The delivery loop's world for the model test: a fake clock, a fake mParticle, the real SQLite store (one file,
 * a connection per process) and one or two delivery processes (engines, with leases when two), driven the way the
 * API drives them: the export is changed in the store and the engine is told to refresh.
 */
export const TYPES = [
  'users.messages.email.Send',
  'users.messages.inappmessage.Click',
  'users.behaviors.subscription.GlobalStateChange',
  'users.messages.contentcard.Click',
] as const;
export const KEYS = ['key-a', 'key-b', 'key-c'] as const;
/** The built-in source and a second workspace. */
export const SOURCES = ['default', 'brand-b'] as const;
export const EXPORT_ID = 'exp_model';
const PROBE_MS = 60_000;
const LEASE_TTL_MS = 60_000;

let made: Promise<string> | null = null;

/** An empty, migrated store file, made once per test file and copied for each run. */
function template(): Promise<string> {
  made ??= (async () => {
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'currents-model-template-'));
    const path = join(dir, 'currents.db');
    await (await openSqliteStore({ path, synchronous: 'normal' })).close();
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return path;
  })();
  return made;
}

/** A seeded random source (mulberry32): the same seed gives the same run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A clock of one process: when the process dies, its timers never fire and no new one is set. */
class ProcessClock implements Clock {
  #dead = false;
  constructor(private readonly base: FakeClock) {}
  now(): number {
    return this.base.now();
  }
  timer(ms: number, fn: () => void): () => void {
    if (this.#dead) return () => undefined;
    return this.base.timer(ms, () => {
      if (!this.#dead) fn();
    });
  }
  kill(): void {
    this.#dead = true;
  }
}

export interface PushedEvent {
  id: string;
  source: string;
  type: string;
  user: string | null;
  platform: string | null;
  receivedAt: number;
}

class Proc {
  alive = true;
  readonly errors: string[] = [];
  constructor(
    readonly id: number,
    readonly clock: ProcessClock,
    readonly store: Store,
    readonly engine: DeliveryEngine,
  ) {}
}

export class World {
  readonly clock = new FakeClock();
  readonly random: () => number;
  readonly mp: FakeMparticle;
  readonly secrets = new SecretBox('model-test-secret-key-0123456789');
  readonly notices: (Notice & { process: number })[] = [];
  /** What every process's metrics counted, by outcome and type. */
  readonly observed = new Map<string, number>();
  readonly pushed: PushedEvent[] = [];
  readonly procs: Proc[] = [];
  /** Types whose selection changed during the run (their events' fates are judged loosely). */
  readonly toggled = new Set<string>();
  /** Sources whose selection changed during the run (their events too). */
  readonly toggledSources = new Set<string>();
  readonly everSelected = new Set<string>();
  /** Every feed id the export had. */
  readonly feedsSeen = new Set<string>();
  crashes = 0;
  replays = 0;
  retries = 0;
  #nextEvent = 0;
  #nextProc = 0;
  readonly #dir: string;
  readonly #path: string;
  ingest!: Store;

  constructor(
    readonly seed: number,
    readonly opts: {
      partitions: number;
      readChunk: number;
      twoProcesses: boolean;
      batchWaitMs?: number;
      readBudgetBytes?: number;
      /** How many lanes of a process work on a chunk at once (0 or none: no bound). */
      chunksInFlight?: number;
    },
  ) {
    this.random = seeded(seed);
    this.mp = new FakeMparticle(this.clock, this.random);
    // In memory when the machine has /dev/shm: thousands of runs of fsyncs add up (the store is the real one still).
    this.#dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'currents-model-'));
    this.#path = join(this.#dir, 'currents.db');
  }

  async open(initial: { feeds: Partial<Record<'ios' | 'android' | 'web' | 'unbound', string>>; types: string[] }) {
    // A copy of a store made once per test file: creating and migrating one costs more than most runs.
    copyFileSync(await template(), this.#path);
    this.ingest = await openSqliteStore({ path: this.#path, synchronous: 'normal' });
    const now = this.clock.now();
    await this.ingest.createSource({
      id: 'brand-b',
      name: 'Brand B',
      state: 'active',
      tokenHash: null,
      config: { kind: 'http' },
      createdAt: now,
      updatedAt: now,
    });
    const feeds: ExportRecord['feeds'] = {};
    for (const [slot, key] of Object.entries(initial.feeds)) {
      feeds[slot as keyof typeof feeds] = { key, secretEnc: this.secrets.encrypt(`secret-${key}`) };
    }
    const record: ExportRecord = {
      id: EXPORT_ID,
      name: 'Model',
      contactEmail: 'ops@example.com',
      destination: { base_url: 'http://mparticle.invalid' },
      environment: 'production',
      feeds,
      events: initial.types,
      identity: 'customer_id',
      eventNames: {},
      mergeBatches: true,
      holdWindowHours: 1,
      rateLimit: 0,
      state: 'active',
      startSeq: 0,
      createdAt: now,
      updatedAt: now,
    };
    for (const t of initial.types) this.everSelected.add(t);
    for (const p of snapshotOf(record).plans) this.feedsSeen.add(p.id);
    await this.ingest.createExport(record);
    await this.start();
    if (this.opts.twoProcesses) await this.start();
  }

  get alive(): Proc[] {
    return this.procs.filter((p) => p.alive);
  }

  /** A new delivery process on its own connection to the store. */
  async start(): Promise<void> {
    const id = this.#nextProc++;
    const clock = new ProcessClock(this.clock);
    const store = await openSqliteStore({ path: this.#path, synchronous: 'normal' });
    const logger = this.#logger(() => proc);
    const notifier: Notifier = {
      notify: async (n) => void this.notices.push({ ...n, process: id }),
      close: async () => undefined,
    };
    const observer: DeliveryObserver = {
      outcome: (_e, _f, type, outcome, count) => this.#observe(type, outcome, count),
      request: () => undefined,
      rateLimitPercent: () => undefined,
    };
    const leases = this.opts.twoProcesses
      ? new LeaseManager({ store, owner: `p${id}`, role: 'all', ttlMs: LEASE_TTL_MS, logger, now: () => clock.now() })
      : undefined;
    const engine: DeliveryEngine = new DeliveryEngine({
      store,
      secrets: this.secrets,
      notifier,
      observer,
      logger,
      partitions: this.opts.partitions,
      readChunk: this.opts.readChunk,
      batchWaitMs: this.opts.batchWaitMs ?? 0,
      ...(this.opts.readBudgetBytes === undefined ? {} : { readBudgetBytes: this.opts.readBudgetBytes }),
      ...(this.opts.chunksInFlight === undefined ? {} : { chunksInFlight: this.opts.chunksInFlight }),
      // Long idle polls and refreshes keep a clock jump of an hour cheap; pushes wake lanes anyway.
      idlePollMs: 300_000,
      probeIntervalMs: PROBE_MS,
      requestTimeoutMs: 30_000,
      refreshMs: 60_000,
      backoff: { baseMs: 250, maxMs: 30_000, jitter: 0.5 },
      clock,
      random: this.random,
      stopGraceMs: 5_000,
      // Small requests: chunks of several requests, sent side by side, halted part way.
      maxBatchesPerRequest: 2,
      createClient: (): MpClient => this.mp.client(id, clock, () => proc.alive),
      ...(leases ? { leases, leaseTtlMs: LEASE_TTL_MS } : {}),
    });
    const proc: Proc = new Proc(id, clock, store, engine);
    this.procs.push(proc);
    await this.clock.until(engine.start());
  }

  /** The process dies: no timer of it fires again, no answer reaches it, its connection is dropped. */
  async crash(index: number): Promise<void> {
    const proc = this.alive[index % Math.max(1, this.alive.length)];
    if (proc === undefined) return;
    proc.alive = false;
    proc.clock.kill();
    this.crashes += 1;
    await proc.store.close();
  }

  /** A clean stop (SIGTERM): lanes record their progress and end. */
  async stop(index: number): Promise<void> {
    const proc = this.alive[index % Math.max(1, this.alive.length)];
    if (proc === undefined) return;
    await this.clock.until(proc.engine.stop());
    proc.alive = false;
    proc.clock.kill();
    await proc.store.close();
  }

  async push(specs: { type: string; user: string | null; platform: string | null; source?: string }[]): Promise<void> {
    const now = this.clock.now();
    const events = specs.map((s) => {
      const n = this.#nextEvent++;
      const id = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
      const event = sampleEvent(s.type, {
        id,
        time: Math.floor(now / 1000),
        externalUserId: s.user,
        ...(s.platform ? { platform: s.platform } : {}),
      }) as CurrentsEvent;
      if (s.platform === null) {
        delete event.platform;
        delete event.app_id;
      }
      const source = s.source ?? 'default';
      this.pushed.push({ id, source, type: s.type, user: s.user, platform: s.platform, receivedAt: now });
      return toNewEvent(event, now, this.opts.partitions, source);
    });
    await this.ingest.append(events);
    for (const p of this.alive) p.engine.wake();
  }

  async record(): Promise<ExportRecord> {
    const r = await this.ingest.getExport(EXPORT_ID);
    if (r === null) throw new Error('the export is gone');
    return r;
  }

  /** Change the export as the API does, and tell one process (the others notice on their next refresh). */
  async change(next: ExportRecord): Promise<void> {
    const before = await this.record();
    for (const t of new Set([...before.events, ...next.events])) {
      if (before.events.includes(t) !== next.events.includes(t)) this.toggled.add(t);
      if (next.events.includes(t)) this.everSelected.add(t);
    }
    for (const p of snapshotOf(next).plans) this.feedsSeen.add(p.id);
    for (const s of SOURCES) {
      const taken = (r: ExportRecord) => r.sources === undefined || r.sources.includes(s);
      if (taken(before) !== taken(next)) this.toggledSources.add(s);
    }
    await this.ingest.updateExport(next);
    const proc = this.alive[0];
    if (proc) await this.clock.until(proc.engine.refresh());
  }

  async patch(body: PatchExportBody): Promise<void> {
    const current = await this.record();
    await this.change(applyPatch(current, body, this.secrets, this.clock.now()));
  }

  async setState(state: 'active' | 'paused'): Promise<void> {
    const current = await this.record();
    await this.change({ ...current, state, updatedAt: Math.max(this.clock.now(), current.updatedAt + 1) });
  }

  async replay(fromTime: number, toTime: number): Promise<void> {
    this.replays += 1;
    await this.ingest.createReplay({
      exportId: EXPORT_ID,
      fromTime,
      toTime,
      uptoSeq: await this.ingest.headSeq(),
      createdAt: this.clock.now(),
    });
    const proc = this.alive[0];
    if (proc) await this.clock.until(proc.engine.refresh());
  }

  async retryDeadLetters(): Promise<void> {
    const proc = this.alive[0];
    if (proc === undefined) return;
    this.retries += 1;
    await this.clock.until(proc.engine.retryDeadLetters(EXPORT_ID, 'all'));
  }

  /**
   * Let everything finish: mParticle healthy again (poisoned users stay refused), the export active, a process
   * alive; then run the clock until every live lane is between chunks with nothing left to read and every replay
   * finished. Throws when that never happens (a stalled lane).
   */
  async settle(limitMs = 4 * 3_600_000): Promise<void> {
    this.mp.weather = CALM;
    this.mp.revoked.clear();
    if ((await this.record()).state === 'paused') await this.setState('active');
    if (this.alive.length === 0) await this.start();
    const until = this.clock.now() + limitMs;
    while (this.clock.now() < until) {
      await this.clock.advance(5_000);
      if (await this.#quiet()) return;
    }
    throw new Error(`not settled after ${limitMs / 60_000} minutes of fake time: ${await this.#describeWaiting()}`);
  }

  async #quiet(): Promise<boolean> {
    const record = await this.record();
    const snapshot = snapshotOf(record);
    const cursors = (await this.ingest.getCursors(EXPORT_ID)).filter((c) => !isRetired(c.feed));
    if (cursors.some((c) => c.inflight !== null)) return false;
    const states = await this.ingest.getFeedStates(EXPORT_ID);
    if (snapshot.plans.some((p) => states[p.id]?.phase === 'credentials_rejected')) return false;
    for (const c of cursors.filter((x) => x.generation === 0)) {
      if (!snapshot.plans.some((p) => p.id === c.feed)) continue;
      const b = await this.ingest.countBacklog({
        partition: c.partition,
        afterSeq: c.seq,
        types: snapshot.types,
        ...snapshot.readFilter(c.feed),
      });
      if (b.events > 0) return false;
    }
    // Every partition of every feed has its cursor.
    if (cursors.filter((c) => c.generation === 0).length < snapshot.plans.length * this.opts.partitions) return false;
    const replays = await this.ingest.listReplays(EXPORT_ID);
    return replays.every((r) => r.finishedAt !== null);
  }

  async #describeWaiting(): Promise<string> {
    const cursors = await this.ingest.getCursors(EXPORT_ID);
    const states = await this.ingest.getFeedStates(EXPORT_ID);
    return JSON.stringify({
      cursors: cursors.map((c) => ({ f: c.feed, p: c.partition, g: c.generation, seq: c.seq, to: c.inflight?.to })),
      states: Object.fromEntries(Object.entries(states).map(([f, s]) => [f, s.phase])),
      replays: await this.ingest.listReplays(EXPORT_ID),
      errors: this.procs.flatMap((p) => p.errors).slice(0, 5),
    });
  }

  /** Counts the processes' metrics saw, the way the Prometheus counter adds them. */
  observedCount(type: string, outcome: Outcome): number {
    return this.observed.get(`${type}\u0000${outcome}`) ?? 0;
  }

  /** Errors logged by processes while they were alive (a delivery step that failed is a bug here). */
  get errors(): string[] {
    return this.procs.flatMap((p) => p.errors);
  }

  async close(): Promise<void> {
    for (const p of this.alive) {
      p.alive = false;
      p.clock.kill();
      await p.store.close();
    }
    await this.ingest.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #observe(type: string, outcome: Outcome, count: number): void {
    const key = `${type}\u0000${outcome}`;
    this.observed.set(key, (this.observed.get(key) ?? 0) + count);
  }

  #logger(proc: () => Proc): Logger {
    return pino(
      { level: 'error' },
      {
        write: (line: string) => {
          const p = proc();
          if (p.alive) p.errors.push(line.slice(0, 600));
        },
      },
    );
  }
}
