import { afterEach, describe, expect, it } from 'vitest';
import { CALM } from '../model/fake-mparticle.js';
import { checkInvariants } from '../model/invariants.js';
import { EXPORT_ID, TYPES, World } from '../model/world.js';

/**
 * The engine, its runners and lanes on a fake clock, a fake mParticle and the real SQLite store: the operator's
 * actions of the issue "every event accounted for", each as a scenario (the model test plays random ones).
 */
const SEND = TYPES[0];
const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function open(
  opts: { partitions?: number; twoProcesses?: boolean; batchWaitMs?: number; readChunk?: number } = {},
): Promise<World> {
  world = new World(42, {
    partitions: opts.partitions ?? 4,
    readChunk: opts.readChunk ?? 10,
    twoProcesses: opts.twoProcesses ?? false,
    batchWaitMs: opts.batchWaitMs ?? 0,
  });
  await world.open({ feeds: { unbound: 'key-a' }, types: [SEND] });
  return world;
}

const events = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: SEND, user: users[i % users.length]!, platform: null }));

const receivedIds = (w: World) => new Set(w.mp.receipts.flatMap((r) => r.eventIds));

describe('DeliveryEngine', () => {
  it('pause, edit the packing, resume, three times with chunks in flight: every event arrives, none is skipped', async () => {
    const w = await open();
    await w.patch({ merge_batches: false });
    w.mp.weather = { ...CALM, latencyMs: [2_000, 2_000] };
    await w.push(events(120));
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(1_000);
      await w.setState('paused');
      await w.patch({ merge_batches: i % 2 === 0 });
      await w.setState('active');
    }
    await w.settle();
    expect(receivedIds(w).size).toBe(120);
    const delivered = (await w.ingest.getCounters(EXPORT_ID)).find((c) => c.outcome === 'delivered');
    expect(delivered?.count).toBe(120);
    await checkInvariants(w);
  });

  it('after a crash with a chunk in flight and an edit, resends what mParticle may have as it was, once', async () => {
    const w = await open();
    w.mp.weather = { ...CALM, latencyMs: [500, 500] };
    await w.push(events(30));
    await w.clock.advance(100);
    const inTheAir = w.mp.receipts.map((r) => r.id);
    expect(inTheAir.length).toBeGreaterThan(0);
    await w.crash(0);
    await w.patch({ event_names: { [SEND]: 'Mail sent' } });
    await w.start();
    await w.push(events(30));
    await w.settle();
    expect(receivedIds(w).size).toBe(60);
    // What was in the air at the crash went again under its old id and name (mParticle recognises it)...
    for (const id of inTheAir) expect(w.mp.receipts.filter((r) => r.id === id).length).toBe(2);
    // ...and what came after the edit carries the new name.
    const late = w.mp.receipts.filter((r) => !inTheAir.includes(r.id));
    expect(late.flatMap((r) => r.names).every((n) => n === 'Mail sent')).toBe(true);
    await checkInvariants(w);
  });

  it('stops at once while every request waits out a Retry-After of 120 s', async () => {
    const w = await open();
    w.mp.weather = { ...CALM, rateLimited: 1, retryAfterMs: 120_000 };
    await w.push(events(20));
    await w.clock.advance(2_000);
    const before = w.clock.now();
    await w.stop(0);
    expect(w.clock.now() - before).toBeLessThan(6_000);
    await w.settle();
    expect(receivedIds(w).size).toBe(20);
    await checkInvariants(w);
  });

  it('after a crash with a chunk in flight, a key added for one slot counts each event resent once', async () => {
    const w = await open({ partitions: 1 });
    await w.patch({ events: [TYPES[1]] });
    w.mp.weather = { ...CALM, latencyMs: [500, 500] };
    const mixed = Array.from({ length: 10 }, (_, i) => ({
      type: TYPES[1],
      user: users[i % 4]!,
      platform: i % 2 === 0 ? 'android' : null,
    }));
    await w.push(mixed);
    await w.clock.advance(100);
    expect(w.mp.receipts.length).toBeGreaterThan(0);
    await w.crash(0);
    // The unbound feed's chunk in flight holds android events; android now has a key (and a feed) of its own.
    await w.patch({ feeds: { android: { key: 'key-c', secret: 'secret-key-c' } } });
    await w.start();
    await w.settle();
    expect(receivedIds(w).size).toBe(10);
    // What was in the air went again as it was, under the old key (mParticle recognises it), android events too...
    const first = w.mp.receipts.filter((r) => r.key === 'key-a').map((r) => r.id);
    expect(first.length).toBeGreaterThan(new Set(first).size);
    // ...but each event is counted once: the android ones by the android feed, which sent them under its key.
    const android = w.mp.receipts.filter((r) => r.key === 'key-c').flatMap((r) => r.eventIds);
    expect(new Set(android).size).toBe(5);
    const delivered = (await w.ingest.getCounters(EXPORT_ID)).filter((c) => c.outcome === 'delivered');
    expect(Object.fromEntries(delivered.map((c) => [c.feed, c.count]))).toEqual({ unbound: 5, android: 5 });
    await checkInvariants(w);
  });

  it('after an edit adds a type, reads again the rows it had passed over and, after a crash, resends the same batch', async () => {
    const w = await open({ partitions: 1 });
    const click = { type: TYPES[1], user: 'a', platform: null };
    // Not selected: the lane reads past these; the cursor moves past the first at once, then only every few seconds.
    await w.push([{ type: TYPES[2], user: 'a', platform: null }]);
    await w.clock.advance(200);
    await w.push([click]);
    await w.clock.advance(200);
    await w.patch({ events: [SEND, TYPES[1]] });
    w.mp.weather = { ...CALM, latencyMs: [500, 500] };
    await w.push([{ ...click }]);
    await w.clock.advance(100);
    const inTheAir = w.mp.receipts.map((r) => r.id);
    expect(inTheAir).toHaveLength(1);
    await w.crash(0);
    await w.start();
    await w.settle();
    // Both clicks went out together (the first is read again under the new types), and after the crash the batch
    // went again as it was, under the same source_request_id, so that mParticle recognises it.
    expect(receivedIds(w).size).toBe(2);
    expect(new Set(w.mp.receipts.map((r) => r.id))).toEqual(new Set(inTheAir));
    await checkInvariants(w);
  });

  it("with a batch wait, a user's events received a moment apart share a batch, each held at most the wait", async () => {
    const together = async (batchWaitMs: number) => {
      const w = await open({ partitions: 1, batchWaitMs });
      for (let i = 0; i < 3; i++) {
        await w.push([{ type: SEND, user: 'a', platform: null }]);
        await w.clock.advance(60);
      }
      await w.settle();
      const batches = w.mp.receipts.map((r) => r.eventIds.length);
      // When each event reached mParticle, after it was received.
      const waited = w.mp.receipts.flatMap((r) =>
        r.eventIds.map((id) => r.at - w.pushed.find((p) => p.id === id)!.receivedAt),
      );
      await checkInvariants(w);
      await w.close();
      world = null;
      return { batches, waited };
    };
    const at0 = await together(0);
    expect(at0.batches).toEqual([1, 1, 1]);
    const at200 = await together(200);
    expect(at200.batches).toEqual([3]);
    expect(Math.max(...at200.waited)).toBeLessThanOrEqual(200);
  });

  it('with a batch wait, a full read goes at once', async () => {
    const w = await open({ partitions: 1, batchWaitMs: 5_000, readChunk: 5 });
    await w.push(events(5));
    await w.clock.advance(10);
    expect(w.mp.receipts.flatMap((r) => r.eventIds)).toHaveLength(5);
    await w.settle();
    await checkInvariants(w);
  });

  it('moves a slot to a key of its own without sending or counting anything twice', async () => {
    const w = await open({ partitions: 2 });
    w.mp.weather = { ...CALM, latencyMs: [300, 300] };
    const mixed = Array.from({ length: 40 }, (_, i) => ({
      type: TYPES[3],
      user: users[i % 4]!,
      platform: i % 2 === 0 ? 'ios' : null,
    }));
    await w.patch({ events: [SEND, TYPES[3]] });
    await w.push(mixed);
    await w.clock.advance(150);
    await w.patch({ feeds: { ios: { key: 'key-b', secret: 'secret-key-b' } } });
    await w.push(mixed.map((m) => ({ ...m })));
    await w.settle();
    expect(receivedIds(w).size).toBe(80);
    const ios = w.mp.receipts.filter((r) => r.key === 'key-b').flatMap((r) => r.eventIds);
    expect(ios.length).toBeGreaterThan(0);
    await checkInvariants(w);
  });

  it('a process that takes over a lane regrouped under a newer edit catches up before sending it', async () => {
    // The web feed holds a chunk (its key is refused) when its slot is given to unbound: the other process, still on
    // the settings before, must not take the regrouped unbound lane and pass the web event as another feed's.
    world = new World(1, { partitions: 1, readChunk: 3, twoProcesses: true });
    const w = world;
    await w.open({ feeds: { ios: 'key-a', android: 'key-a', web: 'key-c', unbound: 'key-b' }, types: [TYPES[1]] });
    w.mp.revoked.add('key-c');
    await w.push([
      { type: TYPES[1], user: 'a', platform: 'web' },
      { type: TYPES[1], user: 'b', platform: null },
    ]);
    w.mp.revoked.add('key-b');
    await w.patch({ feeds: { web: null } });
    await w.settle();
    expect(receivedIds(w).size).toBe(2);
    await checkInvariants(w);
  });

  it('with two processes, a refused key is held, told and resumed once', async () => {
    const w = await open({ partitions: 4, twoProcesses: true });
    await w.clock.advance(120_000);
    w.mp.revoked.add('key-a');
    await w.push(events(40));
    await w.clock.advance(10 * 60_000);
    w.mp.revoked.delete('key-a');
    await w.settle();
    expect(w.notices.filter((n) => n.kind === 'credentials_rejected')).toHaveLength(1);
    expect(w.notices.filter((n) => n.kind === 'resumed')).toHaveLength(1);
    expect(receivedIds(w).size).toBe(40);
    await checkInvariants(w);
  });

  it("tells of a refused batch in the export's recent errors, and keeps how often it was sent", async () => {
    const w = await open({ partitions: 1 });
    w.mp.poison.add('c');
    await w.push(events(8));
    await w.settle();
    const letters = await w.ingest.listDeadLetters(EXPORT_ID, { limit: 10 });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(letters[0]!.lastAttemptAt).not.toBeNull();
    const errors = await w.ingest.listErrors(EXPORT_ID, 10);
    expect(errors.some((e) => e.message.includes('dead-lettered') && e.message.includes('user is poison'))).toBe(true);
    await checkInvariants(w);
  });
});
