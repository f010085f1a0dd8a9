import { describe, expect, it } from 'vitest';
import type { StoreContext } from './fixtures.js';
import { byteLength, events, newEvent, readAll } from './fixtures.js';

export function describeLog(ctx: StoreContext): void {
  describe('event log: append', () => {
    it('gives back every column and the payload exactly as appended', async () => {
      const appended = [
        newEvent({ partition: 3, platform: 'ios', appId: 'app-ios', type: 'users.messages.pushnotification.Open' }),
        newEvent({ partition: 3, platform: null, appId: null, externalUserId: null }),
        newEvent({
          partition: 3,
          platform: 'web',
          appId: 'app-web',
          payload: JSON.stringify({ big: 'x'.repeat(70_000) }),
        }),
      ];
      const result = await ctx.store.append(appended);
      expect(result).toEqual({ stored: 3, duplicateIndexes: [], lastSeq: expect.any(Number) });

      const { rows } = await ctx.store.read({ partition: 3, afterSeq: 0, limit: 10 });
      expect(rows.map(({ seq: _seq, ...rest }) => rest)).toEqual(appended);
      expect(rows[2]!.seq).toBe(result.lastSeq);
    });

    it('lets its caches go on releaseMemory and keeps every event, its dedup and its next seq', async () => {
      const first = events(20);
      await ctx.store.append(first);
      const before = await ctx.store.read({ partition: 0, afterSeq: 0, limit: 100 });
      await ctx.store.releaseMemory();
      const after = await ctx.store.read({ partition: 0, afterSeq: 0, limit: 100 });
      expect(after.rows).toEqual(before.rows);
      // Duplicates are still known, and appends go on after the last seq.
      const again = await ctx.store.append([first[0]!, ...events(1)]);
      expect(again.duplicateIndexes).toEqual([0]);
      expect(again.lastSeq).toBeGreaterThan(before.rows.at(-1)!.seq);
    });

    it('hands out strictly increasing seqs, in input order within a call and across calls', async () => {
      const first = events(5);
      const second = events(5);
      const a = await ctx.store.append(first);
      const b = await ctx.store.append(second);
      const { rows } = await ctx.store.read({ partition: 0, afterSeq: 0, limit: 100 });
      expect(rows.map((r) => r.eventId)).toEqual([...first, ...second].map((e) => e.eventId));
      const seqs = rows.map((r) => r.seq);
      seqs.slice(1).forEach((s, i) => expect(s).toBeGreaterThan(seqs[i]!));
      expect(a.lastSeq).toBe(seqs[4]);
      expect(b.lastSeq).toBe(seqs[9]);
      expect(await ctx.store.headSeq()).toBe(seqs[9]);
    });

    it('drops duplicate event ids, within a call and against the log, and reports them by index', async () => {
      const [x, y, z] = events(3);
      const first = await ctx.store.append([x!, y!, { ...x!, payload: '{"second":"copy"}' }]);
      expect(first.stored).toBe(2);
      expect(first.duplicateIndexes).toEqual([2]);

      const second = await ctx.store.append([y!, z!, x!]);
      expect(second).toEqual({ stored: 1, duplicateIndexes: [0, 2], lastSeq: expect.any(Number) });

      const { rows } = await ctx.store.read({ partition: 0, afterSeq: 0, limit: 10 });
      expect(rows.map((r) => r.eventId)).toEqual([x!.eventId, y!.eventId, z!.eventId]);
      expect(rows[0]!.payload).toBe(x!.payload);
      expect((await ctx.store.stats()).events).toBe(3);
    });

    it('reports a call made only of duplicates as storing nothing', async () => {
      const evs = events(2);
      await ctx.store.append(evs);
      expect(await ctx.store.append(evs)).toEqual({ stored: 0, duplicateIndexes: [0, 1], lastSeq: null });
      expect(await ctx.store.append([])).toEqual({ stored: 0, duplicateIndexes: [], lastSeq: null });
      expect((await ctx.store.stats()).events).toBe(2);
    });

    it('stores every event of many concurrent calls, each readable as soon as its call resolves', async () => {
      const calls = Array.from({ length: 40 }, (_, c) => events(25, (i) => ({ partition: (c + i) % 4 })));
      const results = await Promise.all(
        calls.map(async (evs) => {
          const result = await ctx.store.append(evs);
          // The promise resolved: the events are committed, so a read sees every one of them.
          for (const e of evs) {
            const { rows } = await ctx.store.read({ partition: e.partition, afterSeq: 0, limit: 2000 });
            expect(rows.some((r) => r.eventId === e.eventId)).toBe(true);
          }
          return result;
        }),
      );
      expect(results.every((r) => r.stored === 25 && r.duplicateIndexes.length === 0)).toBe(true);
      const all = (await Promise.all([0, 1, 2, 3].map((p) => readAll(ctx.store, { partition: p })))).flatMap(
        (r) => r.rows,
      );
      expect(all).toHaveLength(1000);
      expect(new Set(all.map((r) => r.seq)).size).toBe(1000);
      expect(await ctx.store.headSeq()).toBe(Math.max(...results.map((r) => r.lastSeq!)));
    });

    it('keeps one copy when concurrent calls carry the same event id', async () => {
      const shared = newEvent();
      const results = await Promise.all(Array.from({ length: 8 }, () => ctx.store.append([newEvent(), { ...shared }])));
      expect(results.filter((r) => r.duplicateIndexes.includes(1))).toHaveLength(7);
      expect(results.reduce((sum, r) => sum + r.stored, 0)).toBe(9);
      expect((await ctx.store.stats()).events).toBe(9);
    });
  });

  describe('event log: find one event', () => {
    it('finds an event by its id with every column, and nothing for an id the log does not hold', async () => {
      const appended = events(300, (i) => ({ partition: i % 4, platform: i % 2 === 0 ? 'ios' : null }));
      await ctx.store.append(appended.slice(0, 150));
      await ctx.store.append(appended.slice(150));
      const { rows } = await ctx.store.read({ partition: 1, afterSeq: 0, limit: 500 });
      for (const row of rows) expect(await ctx.store.findEvent(row.eventId)).toEqual(row);
      for (const e of [appended[0]!, appended[299]!]) {
        const found = await ctx.store.findEvent(e.eventId);
        expect(found).toEqual({ ...e, seq: expect.any(Number) });
      }
      expect(await ctx.store.findEvent('never-received')).toBeNull();
      expect(await ctx.store.findEvent('')).toBeNull();
    });

    it('finds the first copy of an id sent twice', async () => {
      const [x] = events(1);
      const first = await ctx.store.append([x!]);
      await ctx.store.append([{ ...x!, payload: '{"second":"copy"}' }]);
      expect(await ctx.store.findEvent(x!.eventId)).toEqual({ ...x!, seq: first.lastSeq });
    });
  });

  describe('event log: head, seqBefore, stats', () => {
    it('starts empty', async () => {
      expect(await ctx.store.headSeq()).toBe(0);
      expect(await ctx.store.seqBefore(Date.now())).toBe(0);
      expect(await ctx.store.stats()).toEqual({ events: 0, bytes: 0, headSeq: 0, oldestReceivedAt: null });
      expect(await ctx.store.read({ partition: 0, afterSeq: 0, limit: 10 })).toEqual({ rows: [], scannedTo: 0 });
    });

    it('finds the last seq received strictly before a time', async () => {
      const r1 = await ctx.store.append([newEvent({ receivedAt: 1000 })]);
      const r2 = await ctx.store.append([newEvent({ receivedAt: 2000 }), newEvent({ receivedAt: 2000 })]);
      await ctx.store.append([newEvent({ receivedAt: 3000 })]);
      expect(await ctx.store.seqBefore(1000)).toBe(0);
      expect(await ctx.store.seqBefore(1001)).toBe(r1.lastSeq);
      expect(await ctx.store.seqBefore(2000)).toBe(r1.lastSeq);
      expect(await ctx.store.seqBefore(2500)).toBe(r2.lastSeq);
    });

    it('counts events, approximate payload bytes, the head and the oldest receipt', async () => {
      const evs = events(20, (i) => ({ receivedAt: 50_000 - i, partition: i % 3 }));
      const { lastSeq } = await ctx.store.append(evs);
      const stats = await ctx.store.stats();
      expect(stats.events).toBe(20);
      expect(stats.headSeq).toBe(lastSeq);
      expect(stats.oldestReceivedAt).toBe(50_000 - 19);
      const bytes = byteLength(evs);
      expect(stats.bytes).toBeGreaterThanOrEqual(bytes * 0.5);
      expect(stats.bytes).toBeLessThanOrEqual(bytes * 2);
    });
  });
}
