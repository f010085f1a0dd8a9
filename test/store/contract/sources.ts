import { describe, expect, it } from 'vitest';
import type { NewEvent, NewSource, SourceStatus } from '../../../src/types.js';
import type { StoreContext } from './fixtures.js';
import { events, newEvent, readAll } from './fixtures.js';

let n = 0;

/** A source as the API would create it; the config is a storage kind's, with its secret as stored (encrypted). */
export function newSource(over: Partial<NewSource> = {}): NewSource {
  n += 1;
  return {
    id: `src-${n}-${Math.random().toString(36).slice(2, 8)}`,
    name: `Brand ${n}`,
    state: 'active',
    tokenHash: null,
    config: {
      kind: 's3',
      bucket: 'braze-currents',
      prefix: `brand-${n}/`,
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKeyEnc: 'v1:encrypted-by-the-caller',
      pollIntervalSeconds: 60,
      from: null,
    },
    createdAt: 1_700_000_000_000 + n,
    updatedAt: 1_700_000_000_000 + n,
    ...over,
  };
}

const status = (over: Partial<SourceStatus> = {}): SourceStatus => ({
  message: 'listing date=2026-11-01-10',
  lastError: null,
  lastErrorAt: null,
  lastRunAt: 1_800_000_000_000,
  newestObjectAt: 1_799_999_000_000,
  updatedAt: 1_800_000_000_000,
  ...over,
});

export function describeSources(ctx: StoreContext): void {
  describe('sources', () => {
    it('has the built-in source `default` from the first start, an http source with no token of its own', async () => {
      const sources = await ctx.store.listSources();
      expect(sources.map((s) => s.id)).toEqual(['default']);
      expect(await ctx.store.getSource('default')).toMatchObject({
        id: 'default',
        key: 1,
        state: 'active',
        tokenHash: null,
        config: { kind: 'http' },
      });
    });

    it('creates, reads, lists in creation order and updates sources, each with its own key', async () => {
      const a = await ctx.store.createSource(newSource());
      const b = await ctx.store.createSource(newSource({ tokenHash: 'ab'.repeat(32), config: { kind: 'http' } }));
      expect(a.key).toBeGreaterThan(1);
      expect(b.key).toBeGreaterThan(a.key);
      expect(await ctx.store.getSource(a.id)).toEqual(a);
      expect((await ctx.store.listSources()).map((s) => s.id)).toEqual(['default', a.id, b.id]);

      const changed = { ...a, name: 'Renamed', state: 'paused' as const, updatedAt: a.updatedAt + 5 };
      await ctx.store.updateSource(changed);
      expect(await ctx.store.getSource(a.id)).toEqual(changed);
      expect(await ctx.store.getSource('no-such-source')).toBeNull();
    });

    it('refuses an id that is taken, and keeps a deleted source id reserved', async () => {
      const a = await ctx.store.createSource(newSource());
      const again = ctx.store.createSource(newSource({ id: a.id }));
      await expect(again).rejects.toMatchObject({ name: 'ConflictError' });
      await expect(again).rejects.toThrow(/already exists: choose another id/);

      await ctx.store.deleteSource(a.id, 1_800_000_000_000);
      expect(await ctx.store.getSource(a.id)).toBeNull();
      expect((await ctx.store.listSources()).map((s) => s.id)).toEqual(['default']);
      await expect(ctx.store.createSource(newSource({ id: a.id }))).rejects.toThrow(/was deleted.*choose another id/);
      await expect(ctx.store.updateSource(a)).rejects.toThrow(/no source with id/);
      await expect(ctx.store.deleteSource(a.id, 1)).rejects.toThrow(/no source with id/);
    });

    it('files each event under its source, also after the source is deleted', async () => {
      const a = await ctx.store.createSource(newSource());
      const [x, y] = [newEvent({ source: a.id }), newEvent()];
      await ctx.store.append([x!, y!]);
      await ctx.store.deleteSource(a.id, 1_800_000_000_000);
      const { rows } = await readAll(ctx.store, { partition: 0 });
      expect(rows.map((r) => [r.eventId, r.source])).toEqual([
        [x!.eventId, a.id],
        [y!.eventId, 'default'],
      ]);
      expect((await ctx.store.findEvent(x!.eventId))?.source).toBe(a.id);
    });

    it('refuses an append naming a source that never existed, without failing the appends beside it', async () => {
      const good = events(3);
      const bad = events(2, () => ({ source: 'never-created' }));
      const [ok, refused] = await Promise.allSettled([ctx.store.append(good), ctx.store.append(bad)]);
      expect(ok).toMatchObject({ status: 'fulfilled', value: { stored: 3 } });
      expect(refused).toMatchObject({ status: 'rejected' });
      expect(String((refused as PromiseRejectedResult).reason)).toMatch(/no source with id never-created: create it/);
      expect((await readAll(ctx.store, { partition: 0 })).rows.map((r) => r.eventId)).toEqual(
        good.map((e) => e.eventId),
      );
    });

    it('keeps an event id once whatever source sends it: the first source keeps it', async () => {
      const a = await ctx.store.createSource(newSource());
      const b = await ctx.store.createSource(newSource());
      const event = newEvent({ source: a.id });
      expect(await ctx.store.append([event])).toMatchObject({ stored: 1 });
      expect(await ctx.store.append([{ ...event, source: b.id }])).toMatchObject({ stored: 0, duplicateIndexes: [0] });
      expect((await readAll(ctx.store, { partition: 0 })).rows.map((r) => r.source)).toEqual([a.id]);
      const totals = await ctx.store.sourceTotals();
      expect(totals.find((t) => t.source === a.id)?.events).toBe(1);
      expect(totals.find((t) => t.source === b.id)).toBeUndefined();
    });

    it('reads and counts only the sources asked for, and passes the others', async () => {
      const a = await ctx.store.createSource(newSource());
      const b = await ctx.store.createSource(newSource());
      const mixed = events(30, (i) => ({ source: [a.id, b.id, 'default'][i % 3]!, receivedAt: 5_000 + i }));
      await ctx.store.append(mixed);
      const head = await ctx.store.headSeq();

      const onlyA = await readAll(ctx.store, { partition: 0, sources: [a.id], limit: 4 });
      expect(onlyA.rows.map((r) => r.eventId)).toEqual(mixed.filter((e) => e.source === a.id).map((e) => e.eventId));
      expect(onlyA.end).toBe(head);
      const aAndDefault = await readAll(ctx.store, { partition: 0, sources: [a.id, 'default'] });
      expect(aAndDefault.rows).toHaveLength(20);
      expect((await readAll(ctx.store, { partition: 0, sources: [] })).rows).toEqual([]);
      expect((await readAll(ctx.store, { partition: 0, sources: ['never-created'] })).rows).toEqual([]);
      expect((await readAll(ctx.store, { partition: 0 })).rows).toHaveLength(30);

      expect(await ctx.store.countBacklog({ partition: 0, afterSeq: 0, sources: [b.id] })).toEqual({
        events: 10,
        oldestReceivedAt: 5_001,
      });
      expect(await ctx.store.countBacklogBySource({ partition: 0, afterSeq: 0, sources: [a.id, b.id] })).toEqual({
        [a.id]: { events: 10, oldestReceivedAt: 5_000 },
        [b.id]: { events: 10, oldestReceivedAt: 5_001 },
      });
      const all = await ctx.store.countBacklogBySource({ partition: 0, afterSeq: 0 });
      expect(Object.keys(all).sort()).toEqual([a.id, b.id, 'default'].sort());
      expect(await ctx.store.countBacklogBySource({ partition: 1, afterSeq: 0 })).toEqual({});
    });

    it('counts what each source received, its last receipt and its newest event time; duplicates do not count', async () => {
      const a = await ctx.store.createSource(newSource());
      const first = events(3, (i) => ({ source: a.id, receivedAt: 10_000 + i, time: 1_760_000_100 - i }));
      await ctx.store.append(first);
      await ctx.store.append([first[0]!, newEvent({ source: a.id, receivedAt: 9_000, time: 1_760_000_050 })]);
      await ctx.store.append(events(2, () => ({ receivedAt: 20_000 })));
      const totals = await ctx.store.sourceTotals();
      expect(totals.find((t) => t.source === a.id)).toEqual({
        source: a.id,
        events: 4,
        lastReceivedAt: 10_002,
        newestEventTime: 1_760_000_100,
      });
      expect(totals.find((t) => t.source === 'default')).toMatchObject({ events: 2, lastReceivedAt: 20_000 });
    });

    it('counts events dated more than a day after their receipt, by source and type; duplicates do not count', async () => {
      const a = await ctx.store.createSource(newSource());
      const receivedAt = 1_760_000_000_000;
      const day = 86_400;
      const at = (time: number, o: Partial<NewEvent> = {}) => newEvent({ receivedAt, time, ...o });
      const future = [
        at(1_760_000_000 + day + 1, { source: a.id, type: 'users.messages.email.Send' }),
        at(1_760_000_000 + 10 * day, { source: a.id, type: 'users.messages.email.Send' }),
        at(1_760_000_000 + 2 * day, { source: a.id, type: 'users.messages.email.Open' }),
        at(1_760_000_000 + 3 * day, { type: 'users.messages.email.Send', receivedAt: receivedAt + 5 }),
      ];
      // Exactly a day ahead, and the past, are not future-dated.
      await ctx.store.append([...future, at(1_760_000_000 + day, { source: a.id }), at(1_700_000_000)]);
      await ctx.store.append([future[1]!]);
      // Ordered by source as created (default first), then type.
      expect(await ctx.store.futureDated()).toEqual([
        {
          source: 'default',
          type: 'users.messages.email.Send',
          events: 1,
          newestEventTime: 1_760_000_000 + 3 * day,
          lastReceivedAt: receivedAt + 5,
        },
        {
          source: a.id,
          type: 'users.messages.email.Open',
          events: 1,
          newestEventTime: 1_760_000_000 + 2 * day,
          lastReceivedAt: receivedAt,
        },
        {
          source: a.id,
          type: 'users.messages.email.Send',
          events: 2,
          newestEventTime: 1_760_000_000 + 10 * day,
          lastReceivedAt: receivedAt,
        },
      ]);
      await ctx.store.append([at(1_760_000_000 + 20 * day, { source: a.id, type: 'users.messages.email.Send' })]);
      const send = (await ctx.store.futureDated()).find((f) => f.source === a.id && f.type.endsWith('Send'));
      expect(send).toMatchObject({ events: 3, newestEventTime: 1_760_000_000 + 20 * day });
    });

    it('keeps what a source worker says of it, and forgets it when the source is deleted', async () => {
      const a = await ctx.store.createSource(newSource());
      expect(await ctx.store.getSourceStatus(a.id)).toBeNull();
      await ctx.store.putSourceStatus(a.id, status());
      const failing = status({ lastError: 'access denied to bucket braze-currents: check the keys', lastErrorAt: 7 });
      await ctx.store.putSourceStatus(a.id, failing);
      expect(await ctx.store.getSourceStatus(a.id)).toEqual(failing);
      await ctx.store.deleteSource(a.id, 8);
      expect(await ctx.store.getSourceStatus(a.id)).toBeNull();
      await expect(ctx.store.putSourceStatus(a.id, status())).rejects.toThrow(/no source with id/);
    });

    it('knows a source created through another connection: appends under it, names its events, filters by it', async (t) => {
      const other = await ctx.another();
      t.skip(other === null, 'this adapter test file opens no second store on the same data');
      // Both connections have loaded the sources before the new one exists.
      await ctx.store.append([newEvent()]);
      await other!.listSources();
      const created = await other!.createSource(newSource());
      const event = newEvent({ source: created.id });
      expect(await ctx.store.append([event])).toMatchObject({ stored: 1 });
      expect((await ctx.store.findEvent(event.eventId))?.source).toBe(created.id);
      const another = await ctx.store.createSource(newSource());
      await ctx.store.append([newEvent({ source: another.id })]);
      const seen = await readAll(other!, { partition: 0, sources: [created.id, another.id] });
      expect(seen.rows.map((r) => r.source)).toEqual([created.id, another.id]);
    });
  });
}
