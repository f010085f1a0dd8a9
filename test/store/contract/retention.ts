import { describe, expect, it, type TestContext } from 'vitest';
import type { Store } from '../../../src/store/port.js';
import type { Cursor } from '../../../src/types.js';
import type { StoreContext } from './fixtures.js';
import { events, exportRecord, readAll } from './fixtures.js';

const OLD = 1_000;
const YOUNG = 9_000;
const CUTOFF = 5_000;

/** Seqs still in a partition's log. */
async function kept(store: Store, partition: number): Promise<number[]> {
  return (await readAll(store, { partition })).rows.map((r) => r.seq);
}

/** Ten old rows then five young rows in each of partitions 0 and 1, interleaved; returns their seqs per partition. */
async function seed(store: Store): Promise<Record<0 | 1, number[]>> {
  const seqs: Record<0 | 1, number[]> = { 0: [], 1: [] };
  for (let i = 0; i < 15; i++) {
    for (const p of [0, 1] as const) {
      const r = await store.append(events(1, () => ({ partition: p, receivedAt: i < 10 ? OLD + i : YOUNG + i })));
      seqs[p].push(r.lastSeq!);
    }
  }
  return seqs;
}

const live = (exportId: string, feed: string, partition: number, seq: number): Cursor => ({
  exportId,
  feed,
  partition,
  generation: 0,
  seq,
  inflight: null,
  passed: [],
});

export function describeRetention(ctx: StoreContext): void {
  /**
   * The tests that call this count rows one by one, among old and young rows, held and free, a few seqs apart. A
   * store that drops whole partitions of the log (capabilities.partitionedRetention: PostgreSQL) keeps a partition
   * while any row in it is young or held, so they do not apply to it; its own suite tests retention with
   * partition-sized data.
   */
  const rowByRow = (t: TestContext): void =>
    t.skip(ctx.store.capabilities.partitionedRetention, 'row-by-row retention; this store drops whole partitions');

  describe('retention', () => {
    it('with no exports, removes exactly the rows received before the cutoff', async (t) => {
      rowByRow(t);
      const seqs = await seed(ctx.store);
      const [gone, stays] = (await ctx.store.read({ partition: 0, afterSeq: 0, limit: 15 })).rows.filter(
        (_, i) => i === 0 || i === 12,
      );
      expect(await ctx.store.findEvent(gone!.eventId)).toEqual(gone);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(20);
      expect(await ctx.store.findEvent(gone!.eventId)).toBeNull();
      expect(await ctx.store.findEvent(stays!.eventId)).toEqual(stays);
      expect(await kept(ctx.store, 0)).toEqual(seqs[0].slice(10));
      expect(await kept(ctx.store, 1)).toEqual(seqs[1].slice(10));
      const stats = await ctx.store.stats();
      expect(stats.events).toBe(10);
      expect(stats.oldestReceivedAt).toBe(YOUNG + 10);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(0);
    });

    it('keeps old rows an export has not passed; a partition without its cursors is held from its startSeq', async (t) => {
      rowByRow(t);
      const seqs = await seed(ctx.store);
      const exp = exportRecord({ startSeq: seqs[1][3]! });
      await ctx.store.createExport(exp);
      // Partition 0: two feeds, the slower one at the 6th row. Partition 1: no cursor, held from startSeq.
      await ctx.store.putCursors([live(exp.id, 'ios', 0, seqs[0][8]!), live(exp.id, 'web', 0, seqs[0][5]!)]);

      expect(await ctx.store.applyRetention(CUTOFF)).toBe(6 + 4);
      expect(await kept(ctx.store, 0)).toEqual(seqs[0].slice(6));
      expect(await kept(ctx.store, 1)).toEqual(seqs[1].slice(4));
    });

    it('keeps young rows even when every export is past them', async (t) => {
      rowByRow(t);
      const seqs = await seed(ctx.store);
      const exp = exportRecord({ startSeq: await ctx.store.headSeq() });
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([live(exp.id, 'ios', 0, seqs[0][14]!), live(exp.id, 'ios', 1, seqs[1][14]!)]);
      const [gone, stays] = (await ctx.store.read({ partition: 0, afterSeq: 0, limit: 15 })).rows.filter(
        (_, i) => i === 0 || i === 12,
      );
      expect(await ctx.store.findEvent(gone!.eventId)).toEqual(gone);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(20);
      expect(await ctx.store.findEvent(gone!.eventId)).toBeNull();
      expect(await ctx.store.findEvent(stays!.eventId)).toEqual(stays);
      expect(await kept(ctx.store, 0)).toEqual(seqs[0].slice(10));
    });

    it('takes the lowest position over every export', async (t) => {
      rowByRow(t);
      const seqs = await seed(ctx.store);
      const ahead = exportRecord({ startSeq: 0 });
      const behind = exportRecord({ startSeq: 0 });
      await ctx.store.createExport(ahead);
      await ctx.store.createExport(behind);
      await ctx.store.putCursors([
        live(ahead.id, 'ios', 0, seqs[0][9]!),
        live(ahead.id, 'ios', 1, seqs[1][9]!),
        live(behind.id, 'ios', 0, seqs[0][2]!),
        live(behind.id, 'ios', 1, seqs[1][7]!),
      ]);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(3 + 8);
      expect(await kept(ctx.store, 0)).toEqual(seqs[0].slice(3));
      expect(await kept(ctx.store, 1)).toEqual(seqs[1].slice(8));
    });

    it('is held by an unfinished replay, and released when the replay finishes', async (t) => {
      rowByRow(t);
      const seqs = await seed(ctx.store);
      const head = await ctx.store.headSeq();
      const exp = exportRecord({ startSeq: head });
      await ctx.store.createExport(exp);
      await ctx.store.createReplay({
        exportId: exp.id,
        fromTime: 0,
        toTime: 2_000_000_000,
        uptoSeq: head,
        createdAt: 1,
      });
      await ctx.store.putCursors([
        live(exp.id, 'ios', 0, head),
        live(exp.id, 'ios', 1, head),
        { ...live(exp.id, 'ios', 0, seqs[0][1]!), generation: 1 },
      ]);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(2 + 10);
      await ctx.store.finishReplay(exp.id, 1, 2);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(8);
      expect(await kept(ctx.store, 0)).toEqual(seqs[0].slice(10));
    });

    it('is released by deleting the export that held it', async (t) => {
      rowByRow(t);
      const seqs = await seed(ctx.store);
      const exp = exportRecord({ startSeq: 0 });
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([live(exp.id, 'ios', 0, seqs[0][4]!)]);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(5);
      await ctx.store.deleteExport(exp.id);
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(15);
    });

    it('never hands out a seq again, even after every row was removed', async () => {
      await seed(ctx.store);
      const head = await ctx.store.headSeq();
      expect(await ctx.store.applyRetention(Number.MAX_SAFE_INTEGER)).toBe(30);
      expect(await ctx.store.headSeq()).toBe(head);
      expect((await ctx.store.stats()).events).toBe(0);
      const next = await ctx.store.append(events(1));
      expect(next.lastSeq).toBeGreaterThan(head);
    });

    it('removes large backlogs completely', async () => {
      const many = events(25_000, (i) => ({ partition: i % 7, receivedAt: OLD }));
      for (let i = 0; i < many.length; i += 5000) await ctx.store.append(many.slice(i, i + 5000));
      await ctx.store.append(events(3, () => ({ receivedAt: YOUNG })));
      expect(await ctx.store.applyRetention(CUTOFF)).toBe(25_000);
      expect((await ctx.store.stats()).events).toBe(3);
    });

    it('prunes per-minute delivery points older than seven days', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      const now = Date.now();
      const step = (seq: number, at: number) =>
        ctx.store.commitProgress({
          exportId: exp.id,
          feed: 'ios',
          partition: 0,
          generation: 0,
          seq,
          inflight: null,
          passed: [],
          counters: [],
          deadLetters: [],
          drops: [],
          delivered: { count: 5, at },
        });
      await step(1, now - 8 * 24 * 3600_000);
      await step(2, now - 60_000);
      await ctx.store.applyRetention(0);
      const points = await ctx.store.deliverySeries(exp.id, 0);
      expect(points).toHaveLength(1);
      expect(points[0]!.minute).toBe(Math.floor((now - 60_000) / 60_000) * 60_000);
    });
  });
}
