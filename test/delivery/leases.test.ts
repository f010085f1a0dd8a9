import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseManager } from '../../src/delivery/leases.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

/** The lease assignment over a real store (SQLite implements the same lease semantics as PostgreSQL). */

const keys = Array.from({ length: 16 }, (_, partition) => ({ exportId: 'exp', feed: 'unbound', partition }));
let store: Store;
let dir: string;

afterEach(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function managers(...owners: string[]) {
  dir = await mkdtemp(join(tmpdir(), 'currents-leases-'));
  store = await openSqliteStore({ path: join(dir, 'currents.db') });
  let now = 1_000_000;
  const clock = {
    now: () => now,
    advance: (ms: number) => (now += ms),
  };
  const list = owners.map(
    (owner) =>
      new LeaseManager({
        store,
        owner,
        role: 'deliver',
        ttlMs: 3000,
        logger: pino({ level: 'silent' }),
        now: clock.now,
      }),
  );
  return { list, clock };
}

/** One renewal round of every process, each giving back what it no longer should hold (as the engine does). */
async function round(list: LeaseManager[]): Promise<void> {
  for (const m of list) {
    const { toRelease } = await m.tick(keys);
    await m.release(toRelease);
  }
}

const owned = (m: LeaseManager) => keys.filter((k) => m.owns(k.exportId, k.feed, k.partition)).length;

describe('LeaseManager', () => {
  it('spreads the keys evenly over the live processes, never giving one key to two, and shares the rate', async () => {
    const { list } = await managers('a', 'b', 'c');
    // The first to look takes everything; as the others appear, it hands their thirds back, and they claim them.
    for (let i = 0; i < 3; i++) await round(list);
    const counts = list.map(owned);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(16);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    for (const k of keys) expect(list.filter((m) => m.owns(k.exportId, k.feed, k.partition))).toHaveLength(1);
    expect(list.map((m) => m.share('exp')).reduce((x, y) => x + y, 0)).toBeCloseTo(1);
  });

  it('takes over the keys of a process that stopped renewing once its leases expire', async () => {
    const { list, clock } = await managers('a', 'b');
    const [a, b] = list as [LeaseManager, LeaseManager];
    for (let i = 0; i < 3; i++) await round(list);
    expect(owned(a)).toBe(8);
    expect(owned(b)).toBe(8);
    // b dies: it renews nothing. Before its leases expire, a must not take them.
    clock.advance(1000);
    await a.tick(keys);
    expect(owned(a)).toBe(8);
    clock.advance(3000);
    await a.tick(keys);
    await a.tick(keys);
    expect(owned(a)).toBe(16);
    expect(a.share('exp')).toBe(1);
  });

  it('hands keys back when a process joins, so the newcomer gets its share', async () => {
    const { list } = await managers('a', 'b');
    const [a, b] = list as [LeaseManager, LeaseManager];
    await a.tick(keys);
    await a.tick(keys);
    expect(owned(a)).toBe(16);
    await b.tick(keys); // b announces itself: nothing free yet
    const { toRelease } = await a.tick(keys); // a sees b and gives back b's half once its lanes stop
    expect(toRelease).toHaveLength(8);
    expect(owned(a)).toBe(8);
    await a.release(toRelease);
    await b.tick(keys);
    expect(owned(b)).toBe(8);
  });
});
