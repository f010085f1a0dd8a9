import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedController } from '../../src/delivery/feed.js';
import type { Notice } from '../../src/delivery/notify.js';
import { classifyResponse, type MpClient } from '../../src/mparticle/index.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

const PROBE_MS = 60_000;
const logger = pino({ level: 'silent' });

/**
 * Two processes (each its own controller and its own connection to one SQLite file) see the same refusal: one of
 * them holds the feed, mails the contact, records the error and probes; the other follows the stored state.
 */
describe('FeedController shared by processes through the store', () => {
  let dir: string;
  let stores: Store[];
  let clock: FakeClock;
  let notices: (Notice & { process: number })[];
  let accepted: boolean;
  let probes: number[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'currents-feed-'));
    stores = [];
    clock = new FakeClock();
    notices = [];
    accepted = false;
    probes = [];
  });
  afterEach(async () => {
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function processes(n: number): Promise<FeedController[]> {
    const out: FeedController[] = [];
    for (let i = 0; i < n; i++) {
      const store = await openSqliteStore({ path: join(dir, 'currents.db') });
      stores.push(store);
      const client: MpClient = {
        send: async () => classifyResponse(202, {}, ''),
        probe: async () => {
          probes.push(i);
          return classifyResponse(accepted ? 202 : 403, {}, '');
        },
        close: async () => undefined,
      };
      const feed = new FeedController(
        { id: 'ios', slots: ['ios'], key: 'k' },
        { key: 'k', secret: 's' },
        {
          exportId: 'e1',
          exportName: () => 'Brand A',
          contactEmail: () => 'ops@example.com',
          holdWindowMs: () => 3_600_000,
          changedAt: () => 0,
          store,
          client: () => client,
          notifier: { notify: async (n) => void notices.push({ ...n, process: i }), close: async () => undefined },
          logger,
          probeIntervalMs: PROBE_MS,
          clock,
        },
      );
      await feed.sync();
      out.push(feed);
    }
    return out;
  }

  it('holds once, mails once, probes once per interval, and resumes once, whichever process saw what', async () => {
    const [a, b] = await processes(2);
    const refused = classifyResponse(403, {}, '');
    await Promise.all([a!.hold(refused), b!.hold(refused)]);
    expect(a!.phase).toBe('credentials_rejected');
    expect(b!.phase).toBe('credentials_rejected');
    expect(notices.map((n) => n.kind)).toEqual(['credentials_rejected']);
    expect((await stores[0]!.listErrors('e1', 10)).filter((e) => e.message.includes('held'))).toHaveLength(1);

    // Both schedule probes; each interval, one of them probes.
    await clock.advance(PROBE_MS * 3 + 1_000);
    expect(probes.length).toBeGreaterThanOrEqual(3);
    expect(probes.length).toBeLessThanOrEqual(4);

    accepted = true;
    await clock.advance(PROBE_MS + 1_000);
    expect(notices.map((n) => n.kind)).toEqual(['credentials_rejected', 'resumed']);
    // The process that did not probe learns it at its next sync (the runner calls it every few seconds).
    await a!.sync();
    await b!.sync();
    expect([a!.phase, b!.phase]).toEqual(['flowing', 'flowing']);
    const errors = await stores[1]!.listErrors('e1', 10);
    expect(errors.filter((e) => e.message.includes('accepts the credentials again'))).toHaveLength(1);
    a!.stop();
    b!.stop();
  });

  it('does not undo a hold another process decided when it saves its own delivery time', async () => {
    const [a, b] = await processes(2);
    await a!.hold(classifyResponse(403, {}, ''));
    // b had not heard of it and reports a delivery (a request answered before the refusal).
    clock.timer(10_000, () => undefined);
    await clock.advance(10_000);
    await b!.delivered(12);
    const stored = await stores[0]!.getFeedState('e1', 'ios');
    expect(stored?.state.phase).toBe('credentials_rejected');
    expect(b!.phase).toBe('credentials_rejected');
    a!.stop();
    b!.stop();
  });

  it('goes retrying on a 5xx and back to flowing on the next 2xx, recording the error once', async () => {
    const [a, b] = await processes(2);
    const failing = classifyResponse(503, {}, '');
    await a!.failing(failing);
    await b!.failing(failing);
    expect((await stores[0]!.getFeedState('e1', 'ios'))?.state.phase).toBe('retrying');
    expect((await stores[0]!.listErrors('e1', 10)).filter((e) => e.message.includes('503'))).toHaveLength(1);
    await a!.delivered(null);
    expect((await stores[0]!.getFeedState('e1', 'ios'))?.state.phase).toBe('flowing');
    a!.stop();
    b!.stop();
  });
});
