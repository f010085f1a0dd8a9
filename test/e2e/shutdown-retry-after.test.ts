import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../helpers/process.js';
import { parsePrometheus } from '../helpers/prometheus.js';
import {
  createExport,
  deliveredIds,
  event,
  feedKeys,
  startSandbox,
  startService,
  waitFor,
  type Sandbox,
  type Service,
} from './harness.js';

/**
 * "Every event accounted for", shutdown during a long wait: mParticle answers every request 429 with
 * `Retry-After: 120`. A SIGTERM ends that wait at once: the service exits 0 within seconds (not in the forced exit
 * after 15 s, which never gets to close the store), leaves a consistent store, and a restart on the same data folder
 * delivers every event once and counts each once.
 */

const EMAIL = 'users.messages.email.Send';
const N = 40;

let sandbox: Sandbox;
let first: Service;
let second: Service | undefined;

beforeAll(async () => {
  sandbox = await startSandbox();
  first = await startService({ env: { CURRENTS_LOG_LEVEL: 'info' } });
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop(), sandbox?.stop()]);
  first?.cleanup();
});

interface KeyStats {
  requests: Record<string, number>;
  batches: { accepted: number; rejected: number; duplicate: number };
  events: { accepted: number };
}

/** What the sandbox answered one feed key: requests by HTTP status, batches and events accepted. */
async function statsOf(key: string): Promise<KeyStats> {
  const stats = (await (await fetch(`${sandbox.url}/sandbox/stats`)).json()) as { keys: Record<string, KeyStats> };
  return (
    stats.keys[key] ?? { requests: {}, batches: { accepted: 0, rejected: 0, duplicate: 0 }, events: { accepted: 0 } }
  );
}

describe('SIGTERM while mParticle asks to retry after 120 s', { timeout: 120_000 }, () => {
  it('exits 0 within seconds with a consistent store, and a restart delivers every event once', async () => {
    const keys = feedKeys('retry-after', ['unbound']);
    const key = keys.unbound!.key;
    const id = await createExport(first, sandbox, keys, { name: 'Retry-After', events: [EMAIL] });
    await sandbox.faults({ rateLimited: { retryAfterSeconds: 120 } });
    const events = Array.from({ length: N }, (_, i) => event(EMAIL, `retry-after-${i}`));
    expect((await first.push(events)).status).toBe(200);
    await waitFor(async () => ((await statsOf(key)).requests['429'] ?? 0) > 0, 'a 429 answered');

    const signalledAt = Date.now();
    const code = await first.stop('SIGTERM');
    const tookMs = Date.now() - signalledAt;
    // Exit 0 comes only once every resource was released, the store last; the forced exit after 15 s is exit 1.
    expect({ code, tookMs: tookMs < 5_000 ? 'under 5 s' : `${tookMs} ms` }).toEqual({ code: 0, tookMs: 'under 5 s' });
    const logs = jsonLines(first.output());
    expect(logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
    expect(logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect((await statsOf(key)).events.accepted).toBe(0);

    const path = join(first.dataDir, 'currents.db');
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }

    await sandbox.clearFaults();
    second = await startService({ dataDir: first.dataDir });
    const got = await waitFor(
      async () => {
        const ids = await deliveredIds(sandbox, [key]);
        return ids.size === N ? ids : undefined;
      },
      `the ${N} events at the sandbox after the restart`,
      20_000,
    );
    expect([...got.keys()].sort()).toEqual(events.map((e) => e.id as string).sort());
    expect([...got.values()].filter((n) => n > 1)).toEqual([]);
    expect((await statsOf(key)).events.accepted).toBe(N);

    // Counted once, by the restarted process as by the store.
    interface Status {
      totals: { delivered: number; dead_lettered: number; dropped: number };
    }
    const totals = await waitFor(async () => {
      const s = (await second!.api<Status>('GET', `/v1/exports/${id}/status`)).body;
      return s.totals.delivered === N ? s.totals : undefined;
    }, 'the status to count the events');
    expect(totals).toMatchObject({ delivered: N, dead_lettered: 0, dropped: 0 });
    const delivered = parsePrometheus(await (await fetch(`${second.url}/metrics`)).text())
      .filter((s) => s.name === 'currents_delivery_events_total' && s.labels.export === id)
      .filter((s) => s.labels.outcome === 'delivered')
      .reduce((n, s) => n + s.value, 0);
    expect(delivered).toBe(N);
    expect(await second.stop()).toBe(0);
  });
});
