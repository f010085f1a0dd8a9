import { describe, expect, it } from 'vitest';
import { keyTag, planFeeds } from '../../src/mparticle/index.js';
import { passedBefore } from '../../src/delivery/chunk.js';
import { regroupCursors } from '../../src/delivery/regroup.js';
import type { Cursor, LogRow } from '../../src/types.js';

const ctx = { exportId: 'e', partitions: 2, generation: 0, startSeq: 100 };
const cursor = (feed: string, partition: number, seq: number, inflight: Cursor['inflight'] = null): Cursor => ({
  exportId: 'e',
  feed,
  partition,
  generation: 0,
  seq,
  inflight,
  passed: [],
});

const chunk = (to: number, done: number[]): Cursor['inflight'] => ({
  to,
  at: 5,
  plan: null,
  done,
  unsure: null,
  legacyDone: 0,
});

const row = (seq: number, platform: LogRow['platform']): LogRow => ({
  seq,
  eventId: `e${seq}`,
  type: 't',
  partition: 0,
  externalUserId: 'u',
  platform,
  appId: platform === null ? null : 'app',
  time: 1,
  receivedAt: 1,
  payload: '{}',
  source: 'default',
});

describe('regroupCursors', () => {
  it('starts a new export at its start position on every partition', () => {
    const r = regroupCursors([], planFeeds({ ios: { key: 'a' }, unbound: { key: 'b' } }), ctx);
    expect(r.create.map((c) => [c.feed, c.partition, c.seq])).toEqual([
      ['ios', 0, 100],
      ['ios', 1, 100],
      ['unbound', 0, 100],
      ['unbound', 1, 100],
    ]);
    expect(r.keep).toEqual([]);
  });

  it('keeps unchanged feeds as they are, in-flight ranges included', () => {
    const old = [
      cursor('ios', 0, 10, chunk(20, [12])),
      cursor('ios', 1, 11),
      cursor('unbound', 0, 12),
      cursor('unbound', 1, 13),
    ];
    const r = regroupCursors(old, planFeeds({ ios: { key: 'a' }, unbound: { key: 'b' } }), ctx);
    expect(r.create).toEqual([]);
    expect(r.keep).toEqual(old);
  });

  it('a feed removed: unbound takes over its events from the lower cursor, so nothing is skipped', () => {
    const old = [cursor('ios', 0, 10), cursor('ios', 1, 50), cursor('unbound', 0, 30), cursor('unbound', 1, 20)];
    const r = regroupCursors(old, planFeeds({ unbound: { key: 'b' } }), ctx);
    expect(r.create.map((c) => [c.feed, c.partition, c.seq])).toEqual([
      ['unbound', 0, 10],
      ['unbound', 1, 20],
    ]);
    expect(r.removeFeeds).toEqual(['ios']);
  });

  it('a feed added: it starts where the feed that carried its events (unbound) is', () => {
    const old = [cursor('unbound', 0, 30), cursor('unbound', 1, 20)];
    const r = regroupCursors(old, planFeeds({ android: { key: 'x' }, unbound: { key: 'b' } }), ctx);
    expect(r.create.map((c) => [c.feed, c.partition, c.seq])).toEqual([
      ['android', 0, 30],
      ['android', 1, 20],
      // Unbound stays where it is, written again: it no longer reads android events.
      ['unbound', 0, 30],
      ['unbound', 1, 20],
    ]);
    expect(r.keep).toEqual([]);
  });

  it('two feeds given the same key merge into one starting at the lower cursor', () => {
    const old = [cursor('ios', 0, 10), cursor('ios', 1, 70), cursor('unbound', 0, 30), cursor('unbound', 1, 20)];
    const r = regroupCursors(old, planFeeds({ ios: { key: 'same' }, unbound: { key: 'same' } }), ctx);
    expect(r.create.map((c) => [c.feed, c.partition, c.seq])).toEqual([
      ['ios+unbound', 0, 10],
      ['ios+unbound', 1, 20],
    ]);
    expect(r.removeFeeds.sort()).toEqual(['ios', 'unbound']);
  });

  it('passes what the old feeds had done: nothing is sent or counted twice after a regroup', () => {
    // ios was ahead of unbound on partition 1 and had part of a chunk done.
    const old = [
      cursor('ios', 0, 10),
      cursor('ios', 1, 50, chunk(60, [55, 58])),
      cursor('unbound', 0, 30),
      cursor('unbound', 1, 20),
    ];
    const r = regroupCursors(old, planFeeds({ unbound: { key: 'b' } }), ctx);
    const p1 = r.create.find((c) => c.partition === 1)!;
    expect(p1.seq).toBe(20);
    expect(p1.inflight).toBeNull();
    // ios events the ios feed had dealt with are passed; events unbound had not reached are sent.
    expect(passedBefore(row(30, 'ios'), p1.passed)).toBe(true);
    expect(passedBefore(row(55, 'ios'), p1.passed)).toBe(true);
    expect(passedBefore(row(56, 'ios'), p1.passed)).toBe(false);
    expect(passedBefore(row(30, null), p1.passed)).toBe(false);
    expect(passedBefore(row(30, 'android'), p1.passed)).toBe(false);
    const p0 = r.create.find((c) => c.partition === 0)!;
    expect(p0.seq).toBe(10);
    expect(passedBefore(row(20, null), p0.passed)).toBe(true);
    expect(passedBefore(row(20, 'ios'), p0.passed)).toBe(false);
    expect(passedBefore(row(31, null), p0.passed)).toBe(false);
  });

  it('keeps a removed feed as retired when nothing carries its slots, and takes it up when they come back', () => {
    const old = [cursor('ios', 0, 10), cursor('ios', 1, 11), cursor('unbound', 0, 30), cursor('unbound', 1, 20)];
    const removed = regroupCursors(old, planFeeds({ ios: { key: 'a' } }), ctx);
    expect(removed.removeFeeds).toEqual(['unbound']);
    const retired = removed.create.filter((c) => c.feed === '~unbound');
    expect(retired.map((c) => [c.partition, c.seq])).toEqual([
      [0, 30],
      [1, 20],
    ]);
    // Unbound back later (ios went on meanwhile): it starts where the old unbound stopped, not at the start.
    const later = [cursor('ios', 0, 90), cursor('ios', 1, 91), ...retired];
    const back = regroupCursors(later, planFeeds({ ios: { key: 'a' }, unbound: { key: 'c' } }), ctx);
    expect(back.create.map((c) => [c.feed, c.partition, c.seq])).toEqual([
      ['unbound', 0, 30],
      ['unbound', 1, 20],
    ]);
    expect(back.keep.map((c) => c.feed)).toEqual(['ios', 'ios']);
    expect(back.removeFeeds).toEqual(['~unbound']);
  });

  it('keeps a retired feed when another feed takes up only a slot it carried for others', () => {
    // Unbound (which carried web too) removed: retired. Then web gets the ios key: ios+web starts from what the
    // retired unbound had done with web events, and the retired unbound stays, for the events of its own slot.
    const old = [cursor('ios', 0, 10), cursor('ios', 1, 11), cursor('unbound', 0, 30), cursor('unbound', 1, 20)];
    const retired = regroupCursors(old, planFeeds({ ios: { key: 'a' } }), ctx).create;
    const later = [cursor('ios', 0, 40), cursor('ios', 1, 41), ...retired];
    const r = regroupCursors(later, planFeeds({ ios: { key: 'a' }, web: { key: 'a' } }), ctx);
    expect(r.create.filter((c) => c.feed === 'ios+web').map((c) => c.seq)).toEqual([30, 20]);
    expect(r.removeFeeds).toEqual(['ios']);
    // An event without an app at seq 25 in partition 0 had its fate from the old unbound feed: still known.
    const kept = [...r.keep, ...retired].filter((c) => c.feed === '~unbound' && c.partition === 0);
    expect(kept).toHaveLength(1);
    expect(passedBefore(row(25, null), kept[0]!.passed)).toBe(true);
  });

  it('a removed feed whose slots another feed takes over is not retired: that feed carries what it had done', () => {
    const old = [cursor('ios', 0, 10), cursor('ios', 1, 11), cursor('unbound', 0, 30), cursor('unbound', 1, 20)];
    const r = regroupCursors(old, planFeeds({ unbound: { key: 'b' } }), ctx);
    expect(r.create.every((c) => !c.feed.startsWith('~'))).toBe(true);
  });

  it('hands a chunk mParticle may have to the feed that sends under its key now, whatever that feed is called', () => {
    const sent = (key: string, unsure: string[] | null): Cursor['inflight'] => ({
      to: 40,
      at: 5,
      plan: { settings: { types: ['t'] } as never, exclude: [] },
      done: [31],
      unsure,
      legacyDone: 0,
      key: keyTag(key),
    });
    const old = [cursor('web', 0, 20), cursor('unbound', 0, 30, sent('b', ['x']))];
    const one = { ...ctx, partitions: 1 };
    // web given unbound's key: web+unbound resends unbound's batch first, under unbound's ids.
    const merged = regroupCursors(old, planFeeds({ web: { key: 'b' }, unbound: { key: 'b' } }), one);
    const c = merged.create.find((x) => x.feed === 'web+unbound')!;
    expect(c.seq).toBe(20);
    expect(c.inflight).toMatchObject({ to: 40, unsure: ['x'], done: [31], feed: 'unbound', plan: { after: 30 } });
    // web's key removed again: unbound (the same key) still resends it as it was, now under its own id.
    const split = regroupCursors([c], planFeeds({ unbound: { key: 'b' } }), one);
    const u = split.create.find((x) => x.feed === 'unbound')!;
    expect(u.inflight).toMatchObject({ unsure: ['x'], plan: { after: 30 } });
    expect(u.inflight!.feed).toBeUndefined();
    // Under a key no old feed sent under, nothing is resent: mParticle has nothing of it under that key.
    const other = regroupCursors(old, planFeeds({ web: { key: 'z' }, unbound: { key: 'z' } }), one);
    expect(other.create.find((x) => x.feed === 'web+unbound')!.inflight).toBeNull();
    // Nothing mParticle may have (every batch answered): nothing to hand over.
    const answered = [cursor('web', 0, 20), cursor('unbound', 0, 30, sent('b', []))];
    const none = regroupCursors(answered, planFeeds({ web: { key: 'b' }, unbound: { key: 'b' } }), one);
    expect(none.create.find((x) => x.feed === 'web+unbound')!.inflight).toBeNull();
  });

  it('writes again a kept feed that now reads other events, so that a process on the old routing cannot commit', () => {
    const old = [cursor('ios', 0, 10), cursor('unbound', 0, 30), cursor('ios', 1, 11), cursor('unbound', 1, 31)];
    // web gets the ios key: unbound no longer reads web events (they go to ios+web).
    const r = regroupCursors(old, planFeeds({ ios: { key: 'a' }, web: { key: 'a' }, unbound: { key: 'b' } }), ctx);
    expect(r.keep).toEqual([]);
    expect(r.create.filter((c) => c.feed === 'unbound').map((c) => c.seq)).toEqual([30, 31]);
    expect(r.create.filter((c) => c.feed === 'ios+web').map((c) => c.seq)).toEqual([10, 11]);
  });
});
