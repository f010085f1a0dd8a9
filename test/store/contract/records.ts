import { describe, expect, it } from 'vitest';
import type { NewQuarantine } from '../../../src/types.js';
import type { StoreContext } from './fixtures.js';
import { exportRecord } from './fixtures.js';

const quarantined = (i: number): NewQuarantine => ({
  reason: `field "time" is missing (record ${i}): send UNIX seconds`,
  source:
    i % 3 === 0
      ? { kind: 'http', requestId: `req-${i}`, index: i }
      : i % 3 === 1
        ? { kind: 'file', path: `/data/in/part-${i}.avro`, offset: 4096 * i, index: 2 }
        : { kind: 'retry', quarantineId: i - 1 },
  raw: JSON.stringify({ id: `q-${i}`, note: 'kept exactly — “as received”' }),
  eventType: i % 2 === 0 ? 'users.messages.email.Send' : null,
  receivedAt: 1_700_000_000_000 + i,
});

export function describeRecords(ctx: StoreContext): void {
  describe('quarantine', () => {
    it('keeps records intact and pages through them by id', async () => {
      const input = Array.from({ length: 7 }, (_, i) => quarantined(i));
      await ctx.store.addQuarantine(input);
      expect(await ctx.store.countQuarantine()).toBe(7);

      const first = await ctx.store.listQuarantine({ limit: 3 });
      expect(first.map(({ id: _id, ...rest }) => rest)).toEqual(
        input.slice(0, 3).map((q) => ({ ...q, validator: null, dismissedAt: null, dismissedNote: null })),
      );
      const ids = first.map((r) => r.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const next = await ctx.store.listQuarantine({ limit: 10, afterId: ids[2]! });
      expect(next.map((r) => r.raw)).toEqual(input.slice(3).map((q) => q.raw));

      const got = await ctx.store.getQuarantine([next[1]!.id, ids[0]!, 999_999]);
      expect(got.map((r) => r.raw).sort()).toEqual([input[0]!.raw, input[4]!.raw].sort());
    });

    it('replaces a reason and deletes retried records', async () => {
      await ctx.store.addQuarantine([quarantined(1), quarantined(2), quarantined(3)]);
      const [a, b, c] = await ctx.store.listQuarantine({ limit: 10 });
      await ctx.store.updateQuarantineReason(a!.id, 'still missing "time" after retry');
      await ctx.store.deleteQuarantine([b!.id, c!.id]);
      expect(await ctx.store.countQuarantine()).toBe(1);
      const [left] = await ctx.store.listQuarantine({ limit: 10 });
      expect(left).toEqual({ ...a!, reason: 'still missing "time" after retry' });
    });

    it('records the validation that refused a record and keeps dismissed records out of the list and the counts', async () => {
      await ctx.store.addQuarantine([
        { ...quarantined(1), validator: 'v1' },
        { ...quarantined(2), validator: 'v2' },
        quarantined(3),
        { ...quarantined(4), validator: 'v2' },
      ]);
      const [a, b, c, d] = await ctx.store.listQuarantine({ limit: 10 });
      expect([a!.validator, b!.validator, c!.validator]).toEqual(['v1', 'v2', null]);
      expect(await ctx.store.quarantineCounts('v2')).toEqual({ open: 4, dismissed: 0, refusedByOther: 2 });

      // Refused again by v2: the record now counts as refused by the current validation.
      await ctx.store.updateQuarantineReason(a!.id, 'still refused', 'v2');
      await ctx.store.updateQuarantineReason(c!.id, 'still refused too');
      expect(await ctx.store.quarantineCounts('v2')).toEqual({ open: 4, dismissed: 0, refusedByOther: 1 });

      expect(await ctx.store.dismissQuarantine([d!.id, c!.id, 999_999], 1_700_000_000_999, 'will never pass')).toEqual([
        c!.id,
        d!.id,
      ]);
      // A second dismissal of the same record changes nothing (its first note and time are kept).
      expect(await ctx.store.dismissQuarantine([c!.id], 1_700_000_001_000, 'again')).toEqual([]);
      expect(await ctx.store.countQuarantine()).toBe(2);
      expect(await ctx.store.quarantineCounts('v2')).toEqual({ open: 2, dismissed: 2, refusedByOther: 0 });
      expect((await ctx.store.listQuarantine({ limit: 10 })).map((r) => r.id)).toEqual([a!.id, b!.id]);
      const dismissed = await ctx.store.listQuarantine({ limit: 10, dismissed: true });
      expect(dismissed.map((r) => [r.id, r.dismissedAt, r.dismissedNote, r.reason])).toEqual([
        [c!.id, 1_700_000_000_999, 'will never pass', 'still refused too'],
        [d!.id, 1_700_000_000_999, 'will never pass', d!.reason],
      ]);
      expect((await ctx.store.getQuarantine([d!.id]))[0]!.dismissedNote).toBe('will never pass');
    });

    it('does not quarantine the same record of the same file twice, but keeps every HTTP record', async () => {
      const fromFile = (offset: number, raw: string) => ({
        reason: 'missing "time"',
        source: { kind: 'file' as const, path: '/data/a.ndjson', offset, index: offset },
        raw,
        eventType: null,
        receivedAt: 1,
      });
      const fromHttp = { ...quarantined(1), source: { kind: 'http' as const, requestId: 'r-1', index: 0 } };
      await ctx.store.addQuarantine([fromFile(0, '{"a":1}'), fromFile(10, '{"a":2}'), fromHttp]);
      await ctx.store.addQuarantine([
        fromFile(0, '{"a":1}'),
        fromFile(10, '{"a":2}'),
        fromFile(20, '{"a":3}'),
        fromHttp,
      ]);
      expect(await ctx.store.countQuarantine()).toBe(5);
      const raws = (await ctx.store.listQuarantine({ limit: 10 })).map((r) => r.raw);
      expect(raws.filter((r) => r === fromHttp.raw)).toHaveLength(2);
      expect(raws.filter((r) => r === '{"a":1}')).toHaveLength(1);
    });
  });

  describe('exports', () => {
    it('creates, reads, lists, updates and deletes', async () => {
      const a = exportRecord({ createdAt: 1 });
      const b = exportRecord({ createdAt: 2 });
      await ctx.store.createExport(b);
      await ctx.store.createExport(a);
      expect(await ctx.store.getExport(a.id)).toEqual(a);
      expect((await ctx.store.listExports()).map((e) => e.id)).toEqual([a.id, b.id]);

      const changed = { ...a, name: 'Renamed', events: ['users.behaviors.Uninstall'], updatedAt: a.updatedAt + 1 };
      await ctx.store.updateExport(changed);
      expect(await ctx.store.getExport(a.id)).toEqual(changed);

      await ctx.store.deleteExport(a.id);
      expect(await ctx.store.getExport(a.id)).toBeNull();
      expect((await ctx.store.listExports()).map((e) => e.id)).toEqual([b.id]);
    });

    it('keeps field transformations in the export, in order, through create, swap and a record without them', async () => {
      const exp = exportRecord({
        transformations: [
          { field: 'external_user_id', action: 'hash' },
          { field: 'email_address', action: 'remove' },
        ],
      });
      await ctx.store.createExport(exp);
      expect((await ctx.store.getExport(exp.id))?.transformations).toEqual(exp.transformations);
      const changed = {
        ...exp,
        transformations: [{ field: 'campaign_name', action: 'hash' as const }],
        updatedAt: exp.updatedAt + 1,
      };
      expect(await ctx.store.swapExport(changed, exp.updatedAt)).toBe(true);
      expect((await ctx.store.listExports()).find((e) => e.id === exp.id)?.transformations).toEqual(
        changed.transformations,
      );
      // A record stored before transformations existed reads back without them (none apply).
      const { transformations: _none, ...old } = exportRecord();
      await ctx.store.createExport(old);
      expect((await ctx.store.getExport(old.id))?.transformations).toBeUndefined();
    });

    it('writes a change over the record it was made from only: of two made from the same record, one is refused', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      const renamed = { ...exp, name: 'Renamed', updatedAt: exp.updatedAt + 1 };
      const paused = { ...exp, state: 'paused' as const, updatedAt: exp.updatedAt + 1 };
      const results = await Promise.all([
        ctx.store.swapExport(renamed, exp.updatedAt),
        ctx.store.swapExport(paused, exp.updatedAt),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await ctx.store.getExport(exp.id);
      expect([renamed, paused]).toContainEqual(stored);
      // The refused one is made again from what is stored now.
      const again = { ...stored!, ...(results[0] ? { state: 'paused' as const } : { name: 'Renamed' }) };
      expect(await ctx.store.swapExport({ ...again, updatedAt: stored!.updatedAt + 1 }, stored!.updatedAt)).toBe(true);
      expect(await ctx.store.getExport(exp.id)).toMatchObject({ name: 'Renamed', state: 'paused' });
      await expect(ctx.store.swapExport({ ...exp, id: 'exp-gone' }, exp.updatedAt)).rejects.toThrow(/no export/);
    });

    it('refuses a second export with the same id, and an update of one that does not exist', async () => {
      const a = exportRecord();
      await ctx.store.createExport(a);
      await expect(ctx.store.createExport({ ...a, name: 'Other' })).rejects.toThrow(a.id);
      await expect(ctx.store.updateExport(exportRecord({ id: 'never-created' }))).rejects.toThrow('never-created');
      expect((await ctx.store.getExport(a.id))!.name).toBe(a.name);
    });

    it('deleting an export removes everything kept for it, and nothing of other exports', async () => {
      const gone = exportRecord();
      const stays = exportRecord();
      for (const exp of [gone, stays]) {
        await ctx.store.createExport(exp);
        await ctx.store.putCursors([
          { exportId: exp.id, feed: 'ios', partition: 0, generation: 0, seq: 0, inflight: null, passed: [] },
        ]);
        await ctx.store.putFeedState(exp.id, 'ios', {
          phase: 'flowing',
          heldSince: null,
          lastError: null,
          lastDeliveryAt: null,
          lastProbeAt: null,
          notifiedAt: null,
          rateLimitPercentUsed: null,
        });
        await ctx.store.commitProgress({
          exportId: exp.id,
          feed: 'ios',
          partition: 0,
          generation: 0,
          seq: 1,
          inflight: null,
          passed: [],
          counters: [{ feed: 'ios', type: 't', outcome: 'delivered', count: 1 }],
          deadLetters: [
            {
              exportId: exp.id,
              feed: 'ios',
              batch: '{}',
              eventIds: ['e'],
              types: ['t'],
              attempts: 1,
              status: 400,
              error: 'bad',
              createdAt: 1,
            },
          ],
          drops: [
            {
              exportId: exp.id,
              feed: 'ios',
              type: 't',
              count: 1,
              firstTime: 1,
              lastTime: 1,
              reason: 'held',
              droppedAt: 1,
            },
          ],
          delivered: { count: 1, at: Date.now() },
        });
        await ctx.store.addError({ exportId: exp.id, feed: 'ios', message: 'boom', at: 1 });
        await ctx.store.createReplay({
          exportId: exp.id,
          fromTime: 0,
          toTime: 1,
          uptoSeq: 1,
          createdAt: 1,
        });
        await ctx.store.claimLeases('worker-1', [{ exportId: exp.id, feed: 'ios', partition: 0 }], 1000, 60_000);
      }
      await ctx.store.deleteExport(gone.id);

      const remaining = async (id: string) => [
        (await ctx.store.getCursors(id)).length,
        Object.keys(await ctx.store.getFeedStates(id)).length,
        (await ctx.store.getCounters(id)).length,
        (await ctx.store.deliverySeries(id, 0)).length,
        await ctx.store.countDeadLetters(id),
        (await ctx.store.listDrops(id)).length,
        (await ctx.store.listErrors(id, 10)).length,
        (await ctx.store.listReplays(id)).length,
        (await ctx.store.listLeases(id)).length,
      ];
      expect(await remaining(gone.id)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(await remaining(stays.id)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    });
  });

  describe('meta', () => {
    it('reads null for an unknown key, then the last value set', async () => {
      expect(await ctx.store.getMeta('partitions')).toBeNull();
      await ctx.store.setMeta('partitions', '16');
      await ctx.store.setMeta('partitions', '32');
      await ctx.store.setMeta('other', '');
      expect(await ctx.store.getMeta('partitions')).toBe('32');
      expect(await ctx.store.getMeta('other')).toBe('');
    });
  });
}
