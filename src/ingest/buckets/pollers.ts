import type { SourceRecord } from '../../types.js';
import type { Bucket } from './bucket.js';
import { detailOf } from './bucket.js';
import { SourceLoop } from './loop.js';
import { isStorage, openBucket, type StorageConfig } from './open.js';
import type { PollerStore, PollLeases, PollLogger, PollObserver, SinkFor } from './ports.js';

/**
 * Every active storage source's poll loop in this process, kept in step with the sources in the store: a source
 * created, resumed or changed (by this process's API, the CLI, or another process) starts or restarts its loop at
 * the next refresh; one paused or deleted stops it. With leases (several processes on one store), a process runs the
 * loops of the sources whose lease it holds, and the sources are spread over the processes that ingest.
 *
 * States: idle ─start─► running ─stop─► stopped.
 */

export interface PollersDeps {
  store: PollerStore;
  sinkFor: SinkFor;
  /** Opens a source's stored credentials (the SecretBox of the service). */
  decrypt: (enc: string) => string;
  partitions: number;
  observer: PollObserver;
  logger: PollLogger;
  leases?: PollLeases;
  /** How often the sources are read again (and leases renewed); default 2 s. */
  refreshMs?: number;
  now?: () => number;
  /** Opens a source's bucket (default: the cloud SDKs). */
  openBucket?: (config: StorageConfig, decrypt: (enc: string) => string) => Bucket | Promise<Bucket>;
  /** Overrides every source's poll interval and backoff (tests). */
  intervalMs?: number;
  backoffMs?: (failures: number) => number;
}

type StorageSource = SourceRecord & { config: StorageConfig };

export class BucketPollers {
  readonly #loops = new Map<string, { loop: SourceLoop; updatedAt: number }>();
  #timer: NodeJS.Timeout | null = null;
  #refreshing: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(private readonly deps: PollersDeps) {}

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.deps.refreshMs ?? 2_000);
    this.#timer.unref();
  }

  /** The sources polled by this process now. */
  running(): string[] {
    return [...this.#loops.keys()].sort();
  }

  /** Read the sources again; asked during a refresh, another follows it (the change may have come after its read). */
  refresh(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#refreshing !== null) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#sync().catch((e: unknown) =>
          this.deps.logger.warn({ err: detailOf(e) }, 'could not refresh the storage sources'),
        );
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #sync(): Promise<void> {
    const { deps } = this;
    const active = (await deps.store.listSources()).filter(
      (s): s is StorageSource => isStorage(s.config) && s.state === 'active',
    );
    let mine = new Set(active.map((s) => s.id));
    let release: string[] = [];
    if (deps.leases) ({ mine, release } = await deps.leases.sync([...mine]));
    if (this.#stopped) return;
    const byId = new Map(active.map((s) => [s.id, s]));
    for (const [id, { loop, updatedAt }] of this.#loops) {
      const source = byId.get(id);
      if (source === undefined || !mine.has(id) || source.updatedAt !== updatedAt) {
        this.#loops.delete(id);
        await loop.stop();
      }
    }
    if (release.length > 0) await deps.leases?.release(release);
    for (const source of active) {
      if (!mine.has(source.id) || this.#loops.has(source.id)) continue;
      const loop = new SourceLoop({
        source,
        store: deps.store,
        sink: deps.sinkFor(source.id),
        partitions: deps.partitions,
        observer: deps.observer,
        logger: deps.logger,
        openBucket: (config) => (deps.openBucket ?? openBucket)(config, deps.decrypt),
        holds: () => deps.leases?.holds(source.id) ?? true,
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.intervalMs !== undefined ? { intervalMs: deps.intervalMs } : {}),
        ...(deps.backoffMs ? { backoffMs: deps.backoffMs } : {}),
      });
      this.#loops.set(source.id, { loop, updatedAt: source.updatedAt });
      loop.start();
    }
  }

  /** Stop every loop (each after the object it is reading), then give the leases back. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.#refreshing;
    const loops = [...this.#loops.values()].map((l) => l.loop);
    this.#loops.clear();
    await Promise.all(loops.map((l) => l.stop()));
    await this.deps.leases?.releaseAll();
  }
}
