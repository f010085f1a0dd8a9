import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ChunkSlots, ReadBudget } from '../../src/delivery/budget.js';
import { partitionOf } from '../../src/ingest/normalize.js';
import { FakeClock } from '../helpers/fake-clock.js';
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

describe('ChunkSlots', () => {
  it('gives its slots, then serves waiting lanes in order as slots come back, none passing another', async () => {
    const clock = new FakeClock();
    const slots = new ChunkSlots(2, 1_000, clock);
    const a = await slots.take();
    const b = await slots.take();
    expect(slots.free).toBe(0);
    const served: string[] = [];
    const c = slots.take().then((release) => (served.push('c'), release));
    const d = slots.take().then((release) => (served.push('d'), release));
    await clock.settle();
    expect(served).toEqual([]);
    expect(slots.waiting).toBe(2);
    a();
    a(); // Given back once: a second call does nothing.
    await clock.settle();
    expect(served).toEqual(['c']);
    // A lane asking now waits behind d, although c's slot came from a release a moment ago.
    const e = slots.take().then((release) => (served.push('e'), release));
    b();
    await clock.settle();
    expect(served).toEqual(['c', 'd']);
    (await c)();
    (await d)();
    (await e)();
    expect(served).toEqual(['c', 'd', 'e']);
    expect(slots.free).toBe(2);
    expect(slots.waiting).toBe(0);
  });

  it('lets a lane go on without a slot after the longest wait, and at once on a stop; their release does nothing', async () => {
    const clock = new FakeClock();
    const slots = new ChunkSlots(1, 1_000, clock);
    const held = await slots.take();
    let late: (() => void) | null = null;
    void slots.take().then((release) => (late = release));
    await clock.advance(999);
    expect(late).toBeNull();
    await clock.advance(1);
    expect(late).not.toBeNull();
    late!();
    expect(slots.free).toBe(0);

    const stop = new AbortController();
    let stopped: (() => void) | null = null;
    void slots.take(stop.signal).then((release) => (stopped = release));
    await clock.settle();
    expect(stopped).toBeNull();
    stop.abort();
    await clock.settle();
    expect(stopped).not.toBeNull();
    expect(slots.waiting).toBe(0);
    // The one slot comes back whole, and nobody is waiting for it.
    held();
    expect(slots.free).toBe(1);
  });
});

describe('CURRENTS_CHUNKS_IN_FLIGHT', () => {
  it('is 4 unless set; 0 lets every lane go; anything but a whole number from 0 is refused by name', () => {
    expect(loadConfig({}, {}).delivery.chunksInFlight).toBe(4);
    expect(loadConfig({}, { CURRENTS_CHUNKS_IN_FLIGHT: '0' }).delivery.chunksInFlight).toBe(0);
    expect(loadConfig({}, { CURRENTS_CHUNKS_IN_FLIGHT: '16' }).delivery.chunksInFlight).toBe(16);
    expect(() => loadConfig({}, { CURRENTS_CHUNKS_IN_FLIGHT: '-1' })).toThrow(/CURRENTS_CHUNKS_IN_FLIGHT/);
    expect(() => loadConfig({}, { CURRENTS_CHUNKS_IN_FLIGHT: '2.5' })).toThrow(/CURRENTS_CHUNKS_IN_FLIGHT/);
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

  it('lets at most CURRENTS_CHUNKS_IN_FLIGHT lanes work on a chunk at once, and every event still arrives, each once', async () => {
    // Four partitions' lanes: unbounded, they send side by side; with one slot, in turn.
    for (const chunksInFlight of [1, 0]) {
      const w = new World(12, { partitions: 4, readChunk: 50, twoProcesses: false, chunksInFlight });
      world = w;
      await w.open({ feeds: { unbound: 'key-a' }, types: [TYPES[0]] });
      // 100 ms a request: a lane's turn comes well within the longest wait for a slot (CHUNK_SLOT_WAIT_MS).
      w.mp.weather = { ...CALM, latencyMs: [100, 100] };
      // One user per partition: each chunk is one batch, so requests at once are lanes at once.
      const users = [0, 1, 2, 3].map((p) =>
        [...Array(100).keys()].map((i) => `u${i}`).find((u) => partitionOf(u, 4) === p)!,
      );
      await w.push(Array.from({ length: 400 }, (_, i) => ({ type: TYPES[0], user: users[i % 4]!, platform: null })));
      for (let i = 0; i < 2_000 && new Set(w.mp.receipts.flatMap((r) => r.eventIds)).size < 400; i++) {
        await w.clock.advance(50);
      }
      await w.settle();

      if (chunksInFlight === 1) expect(w.mp.mostInFlight).toBe(1);
      else expect(w.mp.mostInFlight).toBeGreaterThan(1);
      const received = w.mp.receipts.flatMap((r) => r.eventIds);
      expect(new Set(received).size).toBe(400);
      const delivered = (await w.ingest.getCounters(EXPORT_ID)).find((c) => c.outcome === 'delivered');
      expect(delivered?.count).toBe(400);
      expect(w.procs[0]!.engine.chunksWorking).toBe(0);
      await checkInvariants(w);
      await w.close();
      world = null;
    }
  });
});
