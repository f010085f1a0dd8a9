import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Store, StoreCapabilities } from '../port.js';
import type { SqliteStoreOptions } from '../sqlite/index.js';
import type { NewEvent } from '../../types.js';
import { StoreUnavailableError } from '../errors.js';
import { fromWire, type Reply, type WireError } from './protocol.js';
import { eventsToColumns, fromColumns, type ReadColumns } from './rows.js';

/**
 * The SQLite store on its own thread. better-sqlite3 is synchronous: on the main thread every commit and read would
 * stop HTTP parsing for its duration. Here the main thread parses, validates and answers while the worker writes,
 * so ingest uses both cores. The port is asynchronous, so callers cannot tell the difference; errors keep their
 * class across the boundary (a full disk is still a StoreUnavailableError, hence a 503).
 */

/** The compiled worker: beside this module in dist/, or the built copy when running from the TypeScript sources. */
function workerFile(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../../dist/src/store/threaded/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error('the store worker is not built: run `npm run build`');
}

type Logger = { warn(obj: object, msg: string): void };

export async function openThreadedSqliteStore(options: SqliteStoreOptions & { logger?: Logger }): Promise<Store> {
  const { logger, ...workerOptions } = options;
  // No resourceLimits for its heap: V8's --max-semi-space-size (the process's, in the shebang) wins over a worker's
  // maxYoungGenerationSizeMb, so its heap sits at ~40 MiB committed (--trace-gc) for ~8 MiB live. The flag at 0 while
  // the worker starts would let a cap apply (V8 reads it when an isolate's heap is set up; the main thread keeps its
  // own): 8 MiB saved ~20 MiB RSS after 1M events taken in, 16 MiB ~15, but the thread then scavenged 3.4x / 1.75x as
  // often taking them in, its CPU 13.4 -> 16.3 / 15.5 us an event (BENCHMARKS.md, "Lean delivery"; branch
  // store-heap-experiment).
  const worker = new Worker(workerFile(), { workerData: workerOptions });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let dead: Error | null = null;

  const capabilities = await new Promise<StoreCapabilities>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { ready: boolean; capabilities?: StoreCapabilities; error?: WireError }) => {
      worker.off('error', reject);
      if (m.ready) resolve(m.capabilities!);
      else reject(fromWire(m.error!));
    });
  });

  worker.on('message', (m: Reply | { log: { obj: object; msg: string } }) => {
    if ('log' in m) {
      logger?.warn(m.log.obj, m.log.msg);
      return;
    }
    const waiter = pending.get(m.id);
    if (waiter === undefined) return;
    pending.delete(m.id);
    if (m.ok) waiter.resolve(m.value);
    else waiter.reject(fromWire(m.error));
  });
  const fail = (e: Error) => {
    dead = new StoreUnavailableError(`the store thread stopped (${e.message}); restart the service`, { cause: e });
    for (const w of pending.values()) w.reject(dead);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));

  const call = (method: string, args: unknown[]): Promise<unknown> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args });
    });
  };

  let closed = false;
  const proxy = new Proxy({} as Store, {
    get(_target, name) {
      if (name === 'capabilities') return capabilities;
      if (name === 'then') return undefined;
      if (name === 'close') {
        return async () => {
          if (closed) return;
          closed = true;
          try {
            await call('close', []);
          } finally {
            await worker.terminate();
          }
        };
      }
      // A read's rows come as columns, and an append's events go as columns (rows.ts).
      if (name === 'read') return (...args: unknown[]) => call('read', args).then((v) => fromColumns(v as ReadColumns));
      if (name === 'append') return (events: readonly NewEvent[]) => call('append', [eventsToColumns(events)]);
      return (...args: unknown[]) => call(String(name), args);
    },
  });
  return proxy;
}
