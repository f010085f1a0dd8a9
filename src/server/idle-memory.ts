import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { toError } from '../store/errors.js';

/**
 * Memory given back once the process has gone quiet after work (CURRENTS_IDLE_RELEASE_MS).
 *
 * A burst of pushes or a drained backlog leaves V8's young generation at its full size (two semi-spaces of
 * `--max-semi-space-size`, 128 MiB) and SQLite's page cache full, even once nothing runs: V8 shrinks the young
 * generation only in a collection meant to reduce memory, which an idle process never starts on its own. So when the
 * event loop has been quiet for the whole idle time after being busy, the store lets its caches go and the heaps (the
 * main thread's and the store thread's) are collected once that way (the inspector's `HeapProfiler.collectGarbage`:
 * V8's low-memory collection). It costs a pause of tens of milliseconds to a few hundred on a quiet process, once per
 * quiet spell; the young generation grows back within the next burst's first collections.
 */

/** A tick whose event loop was busy this share of the time or more counts as work (a burst, a drain). */
const BUSY = 0.25;
/**
 * Ticks quieter than this count toward the idle time; those between the two neither start nor break it. Idle senders
 * looking for new events (every CURRENTS_IDLE_POLL_MS, one per feed and partition of each export) and scrapes of
 * /metrics keep the loop a few percent busy: that is quiet.
 */
const QUIET = 0.1;

export interface IdleReleaseDeps {
  idleMs: number;
  /** The store's part: its caches (SQLite's page cache). */
  releaseStore: () => Promise<void>;
  logger: Logger;
  /** The heap's part; by default V8's low-memory collection through the inspector. */
  releaseHeap?: () => Promise<void>;
  /** Event-loop utilisation since the previous call (0–1); by default from perf_hooks. */
  utilisation?: () => number;
  /** Length of a tick (default: a fifth of the idle time, between 200 ms and 2 s). */
  tickMs?: number;
}

export interface IdleRelease {
  /** Quiet spells that ended in a release so far. */
  readonly releases: number;
  stop(): Promise<void>;
}

/**
 * Watches the event loop and releases memory once per quiet spell that follows work. The start-up counts as work:
 * a service that starts and waits releases once too.
 */
export function startIdleRelease(deps: IdleReleaseDeps): IdleRelease {
  const tickMs = deps.tickMs ?? Math.min(2_000, Math.max(200, Math.round(deps.idleMs / 5)));
  const utilisation = deps.utilisation ?? loopUtilisation();
  const releaseHeap = deps.releaseHeap ?? lowMemoryCollection;
  let worked = true;
  let quietMs = 0;
  let releases = 0;
  let running: Promise<void> | null = null;

  const release = async (): Promise<void> => {
    const started = performance.now();
    try {
      await deps.releaseStore();
      await releaseHeap();
      releases += 1;
      deps.logger.debug({ ms: Math.round(performance.now() - started) }, 'idle: memory given back');
    } catch (e) {
      deps.logger.warn(
        { err: toError(e).message },
        'idle: could not give memory back; it is tried after the next work',
      );
    }
  };

  const timer = setInterval(() => {
    if (running !== null) return;
    const u = utilisation();
    if (u >= BUSY) {
      worked = true;
      quietMs = 0;
      return;
    }
    if (u >= QUIET) {
      quietMs = 0;
      return;
    }
    quietMs += tickMs;
    if (!worked || quietMs < deps.idleMs) return;
    worked = false;
    running = release().finally(() => {
      running = null;
      // The release itself is not work: the next tick measures from here.
      utilisation();
    });
  }, tickMs);
  timer.unref();

  return {
    get releases() {
      return releases;
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** Event-loop utilisation between successive calls. */
function loopUtilisation(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return u;
  };
}

/** How long a worker thread may take to answer its collection before the release goes on without it. */
const WORKER_REPLY_MS = 10_000;

/**
 * V8's collection for low memory (several full collections, shrinking the young generation), reached through the
 * inspector's own session (no port is opened): on the main thread, then on each worker thread (the store's) through
 * the session's NodeWorker domain, since a worker's own session does not answer while it serves the store. Nothing
 * when this Node was built without the inspector.
 */
export async function lowMemoryCollection(): Promise<void> {
  let inspector: typeof import('node:inspector');
  try {
    inspector = await import('node:inspector');
  } catch {
    return;
  }
  const session = new inspector.Session();
  session.connect();
  const post = <T = unknown>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))),
    );
  try {
    await post('HeapProfiler.collectGarbage');
    await collectInWorkers(session, post);
  } finally {
    session.disconnect();
  }
}

interface WorkerMessage {
  params: { sessionId: string; message: string };
}

async function collectInWorkers(
  session: import('node:inspector').Session,
  post: (method: string, params?: object) => Promise<unknown>,
): Promise<void> {
  const workers: string[] = [];
  const onAttached = (m: { params: { sessionId: string } }) => workers.push(m.params.sessionId);
  const replies = new Map<string, () => void>();
  const onMessage = (m: WorkerMessage) => {
    const reply = JSON.parse(m.params.message) as { id?: number };
    if (reply.id === 1) replies.get(m.params.sessionId)?.();
  };
  session.on('NodeWorker.attachedToWorker', onAttached);
  session.on('NodeWorker.receivedMessageFromWorker', onMessage);
  try {
    await post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    // The running workers are announced as the domain is enabled; a turn lets the last announcement in.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(
      workers.map(async (sessionId) => {
        let timer: NodeJS.Timeout | undefined;
        const answered = new Promise<void>((resolve, reject) => {
          replies.set(sessionId, resolve);
          timer = setTimeout(() => reject(new Error('a worker thread did not answer its collection')), WORKER_REPLY_MS);
        });
        try {
          const message = JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' });
          await post('NodeWorker.sendMessageToWorker', { sessionId, message });
          await answered;
        } finally {
          clearTimeout(timer);
          await post('NodeWorker.detach', { sessionId }).catch(() => undefined);
        }
      }),
    );
  } finally {
    session.off('NodeWorker.attachedToWorker', onAttached);
    session.off('NodeWorker.receivedMessageFromWorker', onMessage);
    await post('NodeWorker.disable').catch(() => undefined);
  }
}
