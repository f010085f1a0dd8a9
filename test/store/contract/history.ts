import { describe, expect, it } from 'vitest';
import type { NewDeadLetter, NewReplay, Outcome } from '../../../src/types.js';
import type { StoreContext } from './fixtures.js';
import { exportRecord } from './fixtures.js';

const dead = (exportId: string, i: number): NewDeadLetter => ({
  exportId,
  feed: i % 2 === 0 ? 'ios' : 'web',
  batch: JSON.stringify({ n: i }),
  eventIds: [`e-${i}`],
  types: ['users.messages.email.Open'],
  status: 400,
  error: `refused ${i}`,
  createdAt: 1000 + i,
  attempts: i,
});

export function describeHistory(ctx: StoreContext): void {
  /** An export with `count` dead letters, recorded the way a sender records them. */
  async function withDeadLetters(count: number): Promise<string> {
    const exp = exportRecord();
    await ctx.store.createExport(exp);
    await ctx.store.commitProgress({
      exportId: exp.id,
      feed: 'ios',
      partition: 0,
      generation: 0,
      seq: 1,
      inflight: null,
      passed: [],
      counters: [{ feed: 'ios', type: 'users.messages.email.Open', outcome: 'dead_lettered', count }],
      deadLetters: Array.from({ length: count }, (_, i) => dead(exp.id, i)),
      drops: [],
      delivered: null,
    });
    return exp.id;
  }

  describe('dead letters', () => {
    it('lists in pages, gets by id within the export, and counts', async () => {
      const id = await withDeadLetters(5);
      const other = await withDeadLetters(1);
      expect(await ctx.store.countDeadLetters(id)).toBe(5);
      const page = await ctx.store.listDeadLetters(id, { limit: 2 });
      expect(page.map((d) => d.batch)).toEqual([dead(id, 0).batch, dead(id, 1).batch]);
      const rest = await ctx.store.listDeadLetters(id, { limit: 10, afterId: page[1]!.id });
      expect(rest.map((d) => d.eventIds[0])).toEqual(['e-2', 'e-3', 'e-4']);
      const [otherOne] = await ctx.store.listDeadLetters(other, { limit: 10 });
      const got = await ctx.store.getDeadLetters(id, [rest[0]!.id, otherOne!.id]);
      expect(got).toEqual([rest[0]]);
    });

    it('lists only the dead letters that hold one event, when asked', async () => {
      const id = await withDeadLetters(4);
      const other = await withDeadLetters(4);
      const found = await ctx.store.listDeadLetters(id, { limit: 10, eventId: 'e-2' });
      expect(found.map((d) => [d.exportId, d.eventIds])).toEqual([[id, ['e-2']]]);
      expect(await ctx.store.listDeadLetters(other, { limit: 10, eventId: 'e-9' })).toEqual([]);
      // An id that is only part of another id does not match.
      expect(await ctx.store.listDeadLetters(id, { limit: 10, eventId: 'e-' })).toEqual([]);
    });

    it('a failed retry counts the attempt and keeps the new error', async () => {
      const id = await withDeadLetters(1);
      const [d] = await ctx.store.listDeadLetters(id, { limit: 1 });
      await ctx.store.failDeadLetter(d!.id, 400, 'still refused: data.event_name', 5000);
      await ctx.store.failDeadLetter(d!.id, null, 'connection reset', 6000);
      const [after] = await ctx.store.getDeadLetters(id, [d!.id]);
      expect(after).toEqual({ ...d!, attempts: 2, status: null, error: 'connection reset', lastAttemptAt: 6000 });
    });

    it('keeps how many times the batch was sent before it was refused', async () => {
      const id = await withDeadLetters(3);
      const letters = await ctx.store.listDeadLetters(id, { limit: 3 });
      expect(letters.map((d) => [d.attempts, d.lastAttemptAt])).toEqual([
        [0, null],
        [1, 1001],
        [2, 1002],
      ]);
    });

    it('a successful retry removes the dead letter and counts its events once', async () => {
      const id = await withDeadLetters(2);
      const [d] = await ctx.store.listDeadLetters(id, { limit: 1 });
      const counters = [
        { feed: 'ios', type: 'users.messages.email.Open', outcome: 'delivered' as const, count: 1 },
        { feed: 'ios', type: 'users.messages.email.Open', outcome: 'dead_lettered' as const, count: -1 },
      ];
      const at = 1_700_000_130_000;
      expect(await ctx.store.resolveDeadLetter(d!.id, counters, at)).toBe(true);
      expect(await ctx.store.resolveDeadLetter(d!.id, counters, at + 1)).toBe(false);
      expect(await ctx.store.countDeadLetters(id)).toBe(1);
      // The chart counts it in the minute it was delivered, as the totals do.
      expect(await ctx.store.deliverySeries(id, 0)).toEqual([{ feed: 'ios', minute: 1_700_000_100_000, count: 1 }]);
      expect(await ctx.store.getDeadLetters(id, [d!.id])).toEqual([]);
      const rows = await ctx.store.getCounters(id);
      const count = (outcome: string) => rows.find((r) => r.outcome === outcome)?.count;
      expect(count('delivered')).toBe(1);
      expect(count('dead_lettered')).toBe(1);
    });
  });

  describe('errors', () => {
    it('lists the most recent first, up to the limit asked', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.addError({ exportId: exp.id, feed: 'ios', message: 'second', at: 2000 });
      await ctx.store.addError({ exportId: exp.id, feed: null, message: 'first', at: 1000 });
      await ctx.store.addError({ exportId: exp.id, feed: 'web', message: 'third', at: 3000 });
      expect(await ctx.store.listErrors(exp.id, 2)).toEqual([
        { exportId: exp.id, feed: 'web', message: 'third', at: 3000 },
        { exportId: exp.id, feed: 'ios', message: 'second', at: 2000 },
      ]);
      expect((await ctx.store.listErrors(exp.id, 10)).map((e) => e.message)).toEqual(['third', 'second', 'first']);
    });

    it('keeps the last 200 per export', async () => {
      const busy = exportRecord();
      const quiet = exportRecord();
      await ctx.store.createExport(busy);
      await ctx.store.createExport(quiet);
      await ctx.store.addError({ exportId: quiet.id, feed: null, message: 'only one', at: 1 });
      for (let i = 0; i < 230; i++) {
        await ctx.store.addError({ exportId: busy.id, feed: 'ios', message: `error ${i}`, at: 10_000 + i });
      }
      const listed = await ctx.store.listErrors(busy.id, 1000);
      expect(listed.length).toBeGreaterThanOrEqual(200);
      expect(listed.slice(0, 200).map((e) => e.message)).toEqual(
        Array.from({ length: 200 }, (_, i) => `error ${229 - i}`),
      );
      await ctx.store.applyRetention(0);
      expect(await ctx.store.listErrors(busy.id, 1000)).toHaveLength(200);
      expect(await ctx.store.listErrors(quiet.id, 1000)).toHaveLength(1);
    });
  });

  describe('replays', () => {
    const asked = (exportId: string, over: Partial<NewReplay> = {}): NewReplay => ({
      exportId,
      fromTime: 100,
      toTime: 200,
      uptoSeq: 50,
      createdAt: 1,
      ...over,
    });

    it('numbers replays one above the highest, per export; lists and finishes them', async () => {
      const exp = exportRecord();
      const other = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.createExport(other);
      const r1 = await ctx.store.createReplay(asked(exp.id));
      const r2 = await ctx.store.createReplay(asked(exp.id, { fromTime: 300, toTime: 400, uptoSeq: 60, createdAt: 2 }));
      expect(r1).toEqual({ ...asked(exp.id), generation: 1, finishedAt: null });
      expect(r2).toMatchObject({ generation: 2, fromTime: 300, toTime: 400, uptoSeq: 60, finishedAt: null });
      expect(await ctx.store.createReplay(asked(other.id))).toMatchObject({ generation: 1 });
      await ctx.store.finishReplay(exp.id, 1, 999);
      expect(await ctx.store.listReplays(exp.id)).toEqual([{ ...r1, finishedAt: 999 }, r2]);
      // A finished replay keeps its number: the next one never reuses it.
      expect(await ctx.store.createReplay(asked(exp.id))).toMatchObject({ generation: 3 });
    });

    it('gives ten replays asked for at once ten distinct generations', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ctx.store.createReplay(asked(exp.id, { createdAt: i }))),
      );
      const generations = made.map((r) => r.generation).sort((a, b) => a - b);
      expect(generations).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const listed = await ctx.store.listReplays(exp.id);
      expect(listed.map((r) => r.generation)).toEqual(generations);
      // Each call got back the replay it asked for.
      for (const r of made) expect(listed.find((l) => l.generation === r.generation)).toEqual(r);
    });

    it("counts what each replay's commits did, apart from the live cursor's, and forgets them with the export", async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.createReplay(asked(exp.id));
      await ctx.store.createReplay(asked(exp.id));
      const step = (generation: number, partition: number, seq: number, outcomes: [Outcome, number][]) =>
        ctx.store.commitProgress({
          exportId: exp.id,
          feed: 'ios',
          partition,
          generation,
          seq,
          inflight: null,
          passed: [],
          counters: outcomes.map(([outcome, count]) => ({
            feed: 'ios',
            type: 'users.messages.email.Open',
            outcome,
            count,
          })),
          deadLetters: [],
          drops: [],
          delivered: null,
        });
      await step(0, 0, 5, [['delivered', 7]]);
      await step(1, 0, 3, [
        ['delivered', 2],
        ['skipped', 1],
      ]);
      await step(1, 1, 4, [
        ['delivered', 3],
        ['dead_lettered', 2],
        ['dropped', 0],
      ]);
      await step(2, 0, 9, [['dropped', 4]]);
      expect(await ctx.store.replayCounts(exp.id)).toEqual([
        { generation: 1, outcome: 'dead_lettered', count: 2 },
        { generation: 1, outcome: 'delivered', count: 5 },
        { generation: 1, outcome: 'skipped', count: 1 },
        { generation: 2, outcome: 'dropped', count: 4 },
      ]);
      // The export's own counters still count every commit, replays included.
      const delivered = (await ctx.store.getCounters(exp.id)).filter((c) => c.outcome === 'delivered');
      expect(delivered.reduce((n, c) => n + c.count, 0)).toBe(12);
      await ctx.store.deleteExport(exp.id);
      expect(await ctx.store.replayCounts(exp.id)).toEqual([]);
    });

    it('refuses a replay of an export that does not exist', async () => {
      await expect(ctx.store.createReplay(asked('no-such-export'))).rejects.toThrow(/no export with id no-such-export/);
      expect(await ctx.store.listReplays('no-such-export')).toEqual([]);
    });
  });
}
