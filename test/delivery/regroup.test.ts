import { describe, expect, it } from 'vitest';
import { planFeeds } from '../../src/mparticle/index.js';
import { regroupCursors } from '../../src/delivery/regroup.js';
import type { Cursor } from '../../src/types.js';

const ctx = { exportId: 'e', partitions: 2, generation: 0, startSeq: 100 };
const cursor = (feed: string, partition: number, seq: number, inflight: Cursor['inflight'] = null): Cursor => ({
  exportId: 'e',
  feed,
  partition,
  generation: 0,
  seq,
  inflight,
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
      cursor('ios', 0, 10, { to: 20, done: 1, at: 5 }),
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
    ]);
    expect(r.keep.map((c) => c.feed)).toEqual(['unbound', 'unbound']);
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
});
