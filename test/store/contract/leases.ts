import { describe, expect, it } from 'vitest';
import type { LeaseKey } from '../../../src/store/port.js';
import type { StoreContext } from './fixtures.js';

const key = (partition: number, exportId = 'exp-a', feed = 'ios'): LeaseKey => ({ exportId, feed, partition });
const TTL = 30_000;

export function describeLeases(ctx: StoreContext): void {
  describe('leases', () => {
    it('gives a free key to the first owner and not to a second one while it lasts', async () => {
      const a = await ctx.store.claimLeases('owner-a', [key(0), key(1)], 1000, TTL);
      expect(a).toHaveLength(2);
      expect(a[0]).toMatchObject({ owner: 'owner-a', expiresAt: 1000 + TTL, acquiredAt: 1000 });
      const b = await ctx.store.claimLeases('owner-b', [key(1), key(2)], 2000, TTL);
      expect(b.map((l) => [l.partition, l.owner])).toEqual([[2, 'owner-b']]);
      const all = await ctx.store.listLeases();
      expect(all.map((l) => [l.partition, l.owner]).sort()).toEqual([
        [0, 'owner-a'],
        [1, 'owner-a'],
        [2, 'owner-b'],
      ]);
    });

    it('renewing extends the lease and keeps when it was acquired', async () => {
      await ctx.store.claimLeases('owner-a', [key(0)], 1000, TTL);
      const [renewed] = await ctx.store.claimLeases('owner-a', [key(0)], 20_000, TTL);
      expect(renewed).toMatchObject({ owner: 'owner-a', acquiredAt: 1000, expiresAt: 20_000 + TTL });
    });

    it('an expired lease is taken over, and its former owner no longer holds it', async () => {
      await ctx.store.claimLeases('owner-a', [key(0)], 1000, TTL);
      expect(await ctx.store.claimLeases('owner-b', [key(0)], 1000 + TTL - 1, TTL)).toEqual([]);
      const [taken] = await ctx.store.claimLeases('owner-b', [key(0)], 1000 + TTL, TTL);
      expect(taken).toMatchObject({ owner: 'owner-b', acquiredAt: 1000 + TTL, expiresAt: 1000 + 2 * TTL });
      expect(await ctx.store.claimLeases('owner-a', [key(0)], 1000 + TTL + 1, TTL)).toEqual([]);
    });

    it('releasing frees a key at once; only its owner can release it', async () => {
      await ctx.store.claimLeases('owner-a', [key(0), key(1)], 1000, TTL);
      await ctx.store.releaseLeases('owner-b', [key(0)]);
      expect(await ctx.store.claimLeases('owner-b', [key(0)], 1001, TTL)).toEqual([]);
      await ctx.store.releaseLeases('owner-a', [key(0)]);
      expect(await ctx.store.claimLeases('owner-b', [key(0)], 1002, TTL)).toHaveLength(1);
      expect((await ctx.store.listLeases()).map((l) => [l.partition, l.owner]).sort()).toEqual([
        [0, 'owner-b'],
        [1, 'owner-a'],
      ]);
    });

    it('lists the leases of one export', async () => {
      await ctx.store.claimLeases('owner-a', [key(0, 'exp-a'), key(0, 'exp-b'), key(1, 'exp-b', 'web')], 1000, TTL);
      const leases = await ctx.store.listLeases('exp-b');
      expect(leases.map((l) => [l.exportId, l.feed, l.partition])).toEqual([
        ['exp-b', 'ios', 0],
        ['exp-b', 'web', 1],
      ]);
    });
  });

  describe('process heartbeats', () => {
    it('lists the processes seen since a time, with their latest heartbeat and role', async () => {
      await ctx.store.heartbeat('proc-1', 1000, 'ingest');
      await ctx.store.heartbeat('proc-2', 1500, 'delivery');
      await ctx.store.heartbeat('proc-1', 5000, 'ingest');
      expect(await ctx.store.liveProcesses(2000)).toEqual([{ owner: 'proc-1', role: 'ingest', lastSeen: 5000 }]);
      expect((await ctx.store.liveProcesses(0)).map((p) => p.owner).sort()).toEqual(['proc-1', 'proc-2']);
    });
  });
}
