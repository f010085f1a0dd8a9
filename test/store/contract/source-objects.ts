import { describe, expect, it } from 'vitest';
import { SOURCE_LEASE, type ObjectCheckpoint } from '../../../src/types.js';
import { exportRecord, type StoreContext } from './fixtures.js';
import { newSource } from './sources.js';

const HOUR = 3_600_000;
const H0 = Date.UTC(2026, 10, 1, 10);

const checkpoint = (object: string, over: Partial<ObjectCheckpoint> = {}): ObjectCheckpoint => ({
  object,
  size: 1234,
  etag: `"etag-${object.length}"`,
  hour: H0,
  importedAt: 1_800_000_000_000,
  events: 15_000,
  error: null,
  ...over,
});

const sorted = (list: ObjectCheckpoint[]) => [...list].sort((a, b) => (a.object < b.object ? -1 : 1));

export function describeSourceObjects(ctx: StoreContext): void {
  describe('storage sources: checkpoints and cursors', () => {
    it('keeps a checkpoint per object read, gives back those asked for, and replaces one read again', async () => {
      const a = await ctx.store.createSource(newSource());
      const b = await ctx.store.createSource(newSource());
      const one = checkpoint('brand/event_type=x/date=2026-11-01-10/a+0+1.avro');
      const two = checkpoint('brand/event_type=x/date=2026-11-01-10/b+0+1.avro', { hour: null, events: 3 });
      await ctx.store.putObjectCheckpoints(a.id, [one, two]);
      await ctx.store.putObjectCheckpoints(b.id, [checkpoint(one.object, { etag: 'of-b' })]);

      expect(await ctx.store.getObjectCheckpoints(a.id, [])).toEqual([]);
      expect(sorted(await ctx.store.getObjectCheckpoints(a.id, [one.object, two.object, 'never-read']))).toEqual(
        sorted([one, two]),
      );
      expect(await ctx.store.getObjectCheckpoints(b.id, [one.object])).toEqual([{ ...one, etag: 'of-b' }]);

      const replaced = { ...one, size: 99, etag: '"changed"', error: 'cut short at byte 40', events: 1 };
      await ctx.store.putObjectCheckpoints(a.id, [replaced]);
      expect(await ctx.store.getObjectCheckpoints(a.id, [one.object])).toEqual([replaced]);
    });

    it('answers for thousands of objects at once (a poll of a busy bucket)', async () => {
      const a = await ctx.store.createSource(newSource());
      const many = Array.from({ length: 1_203 }, (_, i) => checkpoint(`k/${String(i).padStart(5, '0')}.avro`));
      await ctx.store.putObjectCheckpoints(a.id, many);
      const asked = [...many.map((c) => c.object), 'k/none.avro'];
      expect(sorted(await ctx.store.getObjectCheckpoints(a.id, asked))).toEqual(many);
    });

    it('prunes checkpoints of hours before a time, keeping later hours and undated objects', async () => {
      const a = await ctx.store.createSource(newSource());
      const old = checkpoint('old', { hour: H0 - 2 * HOUR });
      const edge = checkpoint('edge', { hour: H0 });
      const undated = checkpoint('undated', { hour: null });
      await ctx.store.putObjectCheckpoints(a.id, [old, edge, undated]);
      expect(await ctx.store.pruneObjectCheckpoints(a.id, H0)).toBe(1);
      expect(sorted(await ctx.store.getObjectCheckpoints(a.id, ['old', 'edge', 'undated']))).toEqual(
        sorted([edge, undated]),
      );
    });

    it('keeps where a source poller stands', async () => {
      const a = await ctx.store.createSource(newSource());
      expect(await ctx.store.getSourceCursor(a.id)).toBeNull();
      await ctx.store.putSourceCursor(a.id, { from: null, start: H0, hour: H0 });
      const moved = { from: H0 - HOUR, start: H0 - HOUR, hour: H0 + 5 * HOUR };
      await ctx.store.putSourceCursor(a.id, moved);
      expect(await ctx.store.getSourceCursor(a.id)).toEqual(moved);
    });

    it('forgets checkpoints, cursor and poll lease when the source is deleted; deleting an export leaves them', async () => {
      const a = await ctx.store.createSource(newSource());
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putObjectCheckpoints(a.id, [checkpoint('x')]);
      await ctx.store.putSourceCursor(a.id, { from: null, start: H0, hour: H0 });
      const lease = { exportId: SOURCE_LEASE, feed: a.id, partition: 0 };
      expect(await ctx.store.claimLeases('proc-1', [lease], 1000, 30_000)).toHaveLength(1);
      await ctx.store.claimLeases('proc-1', [{ exportId: exp.id, feed: 'ios', partition: 0 }], 1000, 30_000);

      await ctx.store.deleteExport(exp.id);
      expect((await ctx.store.listLeases()).map((l) => l.feed)).toEqual([a.id]);
      expect(await ctx.store.getObjectCheckpoints(a.id, ['x'])).toHaveLength(1);

      await ctx.store.deleteSource(a.id, 2000);
      expect(await ctx.store.listLeases()).toEqual([]);
      expect(await ctx.store.getObjectCheckpoints(a.id, ['x'])).toEqual([]);
      expect(await ctx.store.getSourceCursor(a.id)).toBeNull();
      await expect(ctx.store.putObjectCheckpoints(a.id, [checkpoint('y')])).rejects.toThrow(/no source with id/);
      await expect(ctx.store.putSourceCursor(a.id, { from: null, start: 0, hour: 0 })).rejects.toThrow(
        /no source with id/,
      );
    });

    it('refuses checkpoints for a source that never existed', async () => {
      await expect(ctx.store.putObjectCheckpoints('never-created', [checkpoint('x')])).rejects.toThrow(
        /no source with id never-created/,
      );
      expect(await ctx.store.getObjectCheckpoints('never-created', ['x'])).toEqual([]);
    });
  });
}
