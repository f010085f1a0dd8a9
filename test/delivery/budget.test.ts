import { afterEach, describe, expect, it } from 'vitest';
import { ReadBudget } from '../../src/delivery/budget.js';
import { CALM } from '../model/fake-mparticle.js';
import { checkInvariants } from '../model/invariants.js';
import { EXPORT_ID, TYPES, World } from '../model/world.js';

const rows = (n: number, bytes: number) => Array.from({ length: n }, () => ({ payload: 'x'.repeat(bytes) }));

describe('ReadBudget', () => {
  it('lets a lane read its whole chunk while the budget has room, fewer rows as it fills, never fewer than the floor', () => {
    const budget = new ReadBudget(100_000, 20, 1_000);
    expect(budget.rowsFor(50)).toBe(50);
    const first = budget.hold(rows(50, 1_000));
    expect(budget.held).toBe(50_000);
    // 50,000 bytes left, rows of 1,000 bytes: 50 more fit, not the 500 asked for.
    expect(budget.rowsFor(500)).toBe(50);
    const second = budget.hold(rows(50, 1_000));
    expect(budget.held).toBe(100_000);
    // Spent: the floor, so that no lane waits on another (one stuck in backoff holds its rows for long).
    expect(budget.rowsFor(500)).toBe(20);
    expect(budget.rowsFor(5)).toBe(5);
    budget.release(first);
    budget.release(second);
    expect(budget.held).toBe(0);
    expect(budget.rowsFor(500)).toBe(100);
  });

  it('sizes reads by the rows seen, so larger events mean fewer rows per read', () => {
    const budget = new ReadBudget(1_000_000, 20, 1_000);
    budget.release(budget.hold(rows(100, 10_000)));
    expect(budget.rowsFor(500)).toBe(100);
  });
});

describe('a delivery buffer shared by every lane (CURRENTS_DELIVERY_BUFFER_MB)', () => {
  let world: World | null = null;
  afterEach(async () => {
    await world?.close();
    world = null;
  });

  it('bounds what the lanes hold together, and every event still arrives, each once', async () => {
    const limit = 8 * 1024;
    const w = new World(11, { partitions: 4, readChunk: 200, twoProcesses: false, readBudgetBytes: limit });
    world = w;
    await w.open({ feeds: { unbound: 'key-a' }, types: [TYPES[0]] });
    // Requests take a while, so that lanes hold their chunks side by side.
    w.mp.weather = { ...CALM, latencyMs: [300, 300] };
    const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
    await w.push(Array.from({ length: 600 }, (_, i) => ({ type: TYPES[0], user: users[i % 10]!, platform: null })));
    const stored = (await w.ingest.read({ partition: 0, afterSeq: 0, types: [TYPES[0]], limit: 1_000 })).rows;
    const rowBytes = Math.max(...stored.map((r) => r.payload.length));

    const engine = w.procs[0]!.engine;
    let most = 0;
    for (let i = 0; i < 2_000 && new Set(w.mp.receipts.flatMap((r) => r.eventIds)).size < 600; i++) {
      await w.clock.advance(50);
      most = Math.max(most, engine.bufferedBytes);
    }
    await w.settle();

    // Within the budget plus, per lane, one read of the floor (20 rows): far below 4 lanes x 200 rows.
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(limit + 4 * 20 * rowBytes);
    expect(most).toBeLessThan(4 * 200 * rowBytes);
    const received = w.mp.receipts.flatMap((r) => r.eventIds);
    expect(new Set(received).size).toBe(600);
    const delivered = (await w.ingest.getCounters(EXPORT_ID)).find((c) => c.outcome === 'delivered');
    expect(delivered?.count).toBe(600);
    expect(engine.bufferedBytes).toBe(0);
    await checkInvariants(w);
  });
});
