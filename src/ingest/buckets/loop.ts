import type { SourceRecord, SourceStatus } from '../../types.js';
import type { ImportSink } from '../importer.js';
import { BucketError, detailOf, type Bucket } from './bucket.js';
import type { StorageConfig } from './open.js';
import { hourText } from './layout.js';
import { BucketPoller, type PollReport } from './poller.js';
import type { PollerStore, PollLogger, PollObserver } from './ports.js';

/**
 * The poll loop of one storage source, in its own task so that a failing source never holds up the others.
 *
 * States: waiting ─(its poll interval)─► polling ─ok─► waiting
 *                                        polling ─failed─► backing off ─(backoff)─► polling
 *         any ─stop─► stopped
 *
 * Every poll ends with the source's status written: what it did, the last problem with what to do (cleared once a
 * poll works again, except a corrupt object's, which stays until another problem replaces it), when it ran, and the
 * time of the newest object read (the lag).
 */

export interface LoopDeps {
  source: SourceRecord & { config: StorageConfig };
  store: PollerStore;
  sink: ImportSink;
  partitions: number;
  observer: PollObserver;
  logger: PollLogger;
  openBucket: (config: StorageConfig) => Bucket | Promise<Bucket>;
  holds: () => boolean;
  now?: () => number;
  random?: () => number;
  /** The wait after the k-th failure in a row (default: 2 s doubling up to 5 min, with jitter). */
  backoffMs?: (failures: number) => number;
  /** Overrides the source's poll interval (tests). */
  intervalMs?: number;
}

const MAX_BACKOFF_MS = 5 * 60_000;
/** Progress is written to the status at most this often during a poll. */
const PROGRESS_MS = 5_000;

export class SourceLoop {
  readonly #stop = new AbortController();
  #done: Promise<void> | null = null;
  readonly #now: () => number;

  constructor(private readonly deps: LoopDeps) {
    this.#now = deps.now ?? Date.now;
  }

  get id(): string {
    return this.deps.source.id;
  }

  start(): void {
    this.#done ??= this.#run().catch((e: unknown) => {
      this.deps.logger.warn({ source: this.id, err: detailOf(e) }, 'source poll loop ended by an unexpected error');
    });
  }

  /** Stop after the object being read (its download is given up and read again later); resolves once stopped. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  #backoff(failures: number): number {
    if (this.deps.backoffMs) return this.deps.backoffMs(failures);
    const base = Math.min(MAX_BACKOFF_MS, 2_000 * 2 ** Math.min(failures - 1, 20));
    return base * (0.5 + 0.5 * (this.deps.random ?? Math.random)());
  }

  async #run(): Promise<void> {
    const { deps } = this;
    const signal = this.#stop.signal;
    let status: SourceStatus = (await deps.store.getSourceStatus(this.id).catch(() => null)) ?? {
      message: null,
      lastError: null,
      lastErrorAt: null,
      lastRunAt: null,
      newestObjectAt: null,
      updatedAt: this.#now(),
    };
    /** Whether the last error shown goes once a poll works (a failure to list, a download that failed). */
    let clears = true;
    let failures = 0;
    let lastProgress = 0;
    // One write at a time, in order: a progress note never lands after the poll's final word.
    let writing: Promise<void> = Promise.resolve();
    const write = (change: Partial<SourceStatus>): Promise<void> => {
      status = { ...status, ...change, updatedAt: this.#now() };
      const snapshot = status;
      writing = writing.then(() =>
        deps.store.putSourceStatus(this.id, snapshot).catch((e: unknown) => {
          // A source deleted meanwhile: its loop is about to be stopped.
          deps.logger.warn({ source: this.id, err: detailOf(e) }, 'could not write the source status');
        }),
      );
      return writing;
    };
    let bucket: Bucket | null = null;
    let poller: BucketPoller | null = null;
    try {
      while (!signal.aborted) {
        let wait: number;
        try {
          bucket ??= await deps.openBucket(deps.source.config);
          poller ??= new BucketPoller({
            source: deps.source,
            bucket,
            store: deps.store,
            sink: deps.sink,
            partitions: deps.partitions,
            observer: deps.observer,
            now: this.#now,
            holds: deps.holds,
            progress: (message) => {
              if (this.#now() - lastProgress < PROGRESS_MS) return;
              lastProgress = this.#now();
              void write({ message });
            },
          });
          const report = await poller.poll(signal);
          if (signal.aborted) break;
          if (!report.finished) {
            // The lease ran short (another process may take the source over): the manager decides at its next
            // refresh; nothing read so far is lost, and what is left waits for the next poll.
            await sleep(this.#interval(), signal);
            continue;
          }
          const problem = report.unavailableError ?? report.corrupt.at(-1) ?? null;
          failures = report.unavailableError === null ? 0 : failures + 1;
          wait = failures > 0 ? this.#backoff(failures) : this.#interval();
          if (problem !== null) clears = report.unavailableError !== null;
          await write({
            message: this.#summary(report, wait),
            ...(problem !== null
              ? { lastError: problem, lastErrorAt: this.#now() }
              : clears
                ? { lastError: null, lastErrorAt: null }
                : {}),
            lastRunAt: this.#now(),
            newestObjectAt: Math.max(status.newestObjectAt ?? 0, report.newestObjectAt ?? 0) || null,
          });
          if (report.objects > 0 || problem !== null) {
            deps.logger.info(
              { source: this.id, objects: report.objects, events: report.events, problem },
              'polled a storage source',
            );
          }
        } catch (e) {
          if (signal.aborted) break;
          failures += 1;
          wait = this.#backoff(failures);
          const problem = e instanceof BucketError ? e.problem : 'other';
          if (!(e instanceof BucketError)) deps.observer.failed(this.id, 'other');
          else deps.observer.failed(this.id, problem);
          clears = true;
          const message = e instanceof BucketError ? e.message : `the poll failed (${detailOf(e)}); retrying`;
          await write({
            message: `failed ${failures} time${failures === 1 ? '' : 's'} in a row; next try in ${seconds(wait)}`,
            lastError: message,
            lastErrorAt: this.#now(),
          });
          deps.logger.warn({ source: this.id, problem, err: message }, 'a storage source could not be polled');
          // A bad setting (credentials) is only fixed by changing the source, which restarts this loop with a new client.
          if (e instanceof BucketError && e.problem === 'access_denied') {
            bucket?.close();
            bucket = null;
            poller = null;
          }
        }
        await sleep(wait, signal);
      }
      await writing;
    } finally {
      bucket?.close();
    }
  }

  #interval(): number {
    return this.deps.intervalMs ?? this.deps.source.config.pollIntervalSeconds * 1000;
  }

  #summary(r: PollReport, wait: number): string {
    const read =
      r.objects === 0
        ? 'no new objects'
        : `read ${r.objects} new object${r.objects === 1 ? '' : 's'} (${r.events} events stored)`;
    const trouble = r.unavailable > 0 ? `; ${r.unavailable} could not be downloaded, retrying` : '';
    return `${read}${trouble}; listing from date=${hourText(r.cursorHour)}; next poll in ${seconds(wait)}`;
  }
}

const seconds = (ms: number): string => `${Math.max(1, Math.round(ms / 1000))} s`;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
