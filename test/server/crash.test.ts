import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { allRows } from '../helpers/app.js';
import { batch } from '../helpers/events.js';
import { assertBuilt, serve, tempFolder, type Served } from '../helpers/process.js';
import { startPushing, waitFor } from '../helpers/pusher.js';

/**
 * The durability promise: an event answered 2xx is in the log, even when the process is killed (SIGKILL, no
 * shutdown) while clients push. Default settings, so `--sync full`. Needs `npm run build`.
 */

const TOKEN = 'crash-ingest-token-0123456789abcdef';
const PARTITIONS = 16;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function started(data: string): Promise<Served> {
  const s = await serve(['--port', '0', '--data', data, '--sync', 'full'], {
    CURRENTS_INGEST_TOKEN: TOKEN,
    CURRENTS_LOG_LEVEL: 'warn',
  });
  cleanups.push(() => s.kill());
  return s;
}

async function storedIds(data: string): Promise<Set<string>> {
  const store = await openSqliteStore({ path: join(data, 'currents.db') });
  try {
    return new Set((await allRows(store, PARTITIONS)).map((r) => r.eventId));
  } finally {
    await store.close();
  }
}

describe('SIGKILL while clients push', { timeout: 90_000 }, () => {
  it('keeps every event answered 2xx, and the restarted service takes pushes again', async () => {
    const { dir: data, remove } = await tempFolder('currents-crash-');
    cleanups.push(remove);
    const service = await started(data);
    const pusher = startPushing({ url: service.url, token: TOKEN, connections: 8, prefix: 'crash' });
    // Kill mid-stream: well after the first answers, with requests still coming.
    await waitFor(() => pusher.answered2xx() >= 60, 30_000, '60 answered pushes');
    service.proc.kill('SIGKILL');
    expect((await service.exited).signal).toBe('SIGKILL');
    await pusher.done;

    const acknowledged = pusher.acknowledged();
    expect(acknowledged.length).toBeGreaterThanOrEqual(6000);
    // Requests cut by the kill got no answer at all, so a client knows to send them again.
    expect(pusher.outcomes.some((o) => o.status === null)).toBe(true);
    for (const o of pusher.outcomes) if (o.status !== null) expect(o.status).toBe(200);

    // After the process is gone, before any restart: the database as the kill left it (WAL included).
    const db = new Database(join(data, 'currents.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    const stored = await storedIds(data);
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);

    const again = await started(data);
    const push = (events: unknown[]) =>
      fetch(`${again.url}/v1/currents`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'braze-currents-version': '1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ events }),
      });
    const fresh = await push(batch(100, 'after-restart'));
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toMatchObject({ stored: 100, duplicates: [] });
    // A client resending an acknowledged request after the crash gets duplicates, not a second copy.
    const first = pusher.outcomes.find((o) => o.status === 200)!;
    const resent = await push(first.ids.map((id) => ({ ...batch(1)[0], id })));
    expect(await resent.json()).toMatchObject({ stored: 0, duplicates: first.ids.map((_, i) => i) });
    expect((await again.stop()).code).toBe(0);

    const afterRestart = await storedIds(data);
    expect(afterRestart.size).toBe(stored.size + 100);
  });
});
