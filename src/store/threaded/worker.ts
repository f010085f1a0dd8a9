import { parentPort, workerData } from 'node:worker_threads';
import type { ReadResult, Store } from '../port.js';
import { openSqliteStore, type SqliteStoreOptions } from '../sqlite/index.js';
import { toWire, type Call, type Reply } from './protocol.js';
import { eventsFromColumns, toColumns, type EventColumns } from './rows.js';

/**
 * The worker side: opens the SQLite store on this thread and answers calls. Appends arriving together are still
 * coalesced into one transaction by the adapter's group commit.
 */
const port = parentPort;
if (port === null) throw new Error('the store worker must run in a worker thread');

let store: Store;
try {
  store = await openSqliteStore({
    ...(workerData as SqliteStoreOptions),
    logger: { warn: (obj, msg) => port.postMessage({ log: { obj, msg } }) },
  });
  port.postMessage({ ready: true, capabilities: store.capabilities });
} catch (e) {
  port.postMessage({ ready: false, error: toWire(e) });
  process.exit(0);
}

const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

port.on('message', (call: Call) => {
  const method = methods[call.method];
  if (typeof method !== 'function') {
    port.postMessage({ id: call.id, ok: false, error: { name: 'Error', message: `no store method ${call.method}` } });
    return;
  }
  const args = call.method === 'append' ? [eventsFromColumns(call.args[0] as EventColumns)] : call.args;
  method.apply(store, args).then(
    (value) =>
      port.postMessage({
        id: call.id,
        ok: true,
        value: call.method === 'read' ? toColumns(value as ReadResult) : value,
      } satisfies Reply),
    (e: unknown) => port.postMessage({ id: call.id, ok: false, error: toWire(e) } satisfies Reply),
  );
});
