import { describe, expect, it } from 'vitest';
import { LeaseLostError, StaleCursorError } from '../../../src/store/errors.js';
import type { Progress } from '../../../src/store/port.js';
import type { Cursor, FeedState, Inflight, NewDeadLetter, PackSettings } from '../../../src/types.js';
import type { StoreContext } from './fixtures.js';
import { exportRecord } from './fixtures.js';

const cursor = (exportId: string, over: Partial<Cursor> = {}): Cursor => ({
  exportId,
  feed: 'ios',
  partition: 0,
  generation: 0,
  seq: 0,
  inflight: null,
  passed: [],
  ...over,
});

const SETTINGS: PackSettings = {
  types: ['users.messages.email.Send'],
  environment: 'development',
  identity: 'customer_id',
  eventNames: {},
  merge: true,
};

/** A chunk (cursor, to] in flight, packed at `at`, with these seqs done. */
const flight = (to: number, at: number, done: number[] = [], unsure: string[] | null = null): Inflight => ({
  to,
  at,
  plan: { settings: SETTINGS, exclude: [] },
  done,
  unsure,
  legacyDone: 0,
});

const progress = (exportId: string, over: Partial<Progress> = {}): Progress => ({
  exportId,
  feed: 'ios',
  partition: 0,
  generation: 0,
  seq: 10,
  inflight: null,
  passed: [],
  counters: [],
  deadLetters: [],
  drops: [],
  delivered: null,
  ...over,
});

const deadLetter = (exportId: string, over: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
  exportId,
  feed: 'ios',
  batch: JSON.stringify({ events: [{ event_type: 'custom_event' }], environment: 'development' }),
  eventIds: ['e-1', 'e-2'],
  types: ['users.messages.email.Send'],
  status: 400,
  error: 'mParticle refused the batch: events[0].data.event_name is required',
  createdAt: 1_700_000_000_000,
  attempts: 1,
  ...over,
});

/** The cursors as stored, without their version tokens (random by design). */
async function unversioned(ctx: StoreContext, exportId: string): Promise<Cursor[]> {
  return (await ctx.store.getCursors(exportId)).map(({ version: _v, ...c }) => c);
}

const MINUTE = 60_000;
const T0 = 1_700_000_040_000; // 40 s into a minute

export function describeDelivery(ctx: StoreContext): void {
  describe('cursors and progress', () => {
    it('creates, overwrites and deletes cursors by feed', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([
        cursor(exp.id, { partition: 0, seq: 5 }),
        cursor(exp.id, { partition: 1, seq: 7 }),
        cursor(exp.id, { feed: 'web', partition: 0, seq: 3 }),
        cursor(exp.id, { partition: 0, generation: 2, seq: 1, inflight: flight(4, 1) }),
      ]);
      await ctx.store.putCursors([cursor(exp.id, { partition: 1, seq: 2 })]);
      const got = await unversioned(ctx, exp.id);
      expect(got).toHaveLength(4);
      expect(got).toEqual(
        expect.arrayContaining([
          cursor(exp.id, { partition: 1, seq: 2 }),
          cursor(exp.id, { partition: 0, generation: 2, seq: 1, inflight: flight(4, 1) }),
        ]),
      );
      await ctx.store.deleteCursors(exp.id, 'ios', 2);
      expect(await unversioned(ctx, exp.id)).toHaveLength(3);
      await ctx.store.deleteCursors(exp.id, 'ios');
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { feed: 'web', partition: 0, seq: 3 })]);
    });

    it('records an in-flight read, and commitProgress moves the cursor and clears it', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([cursor(exp.id, { seq: 5 })]);
      const chunk = flight(12, T0);
      await ctx.store.setInflight(exp.id, 'ios', 0, 0, chunk);
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 5, inflight: chunk })]);
      await ctx.store.commitProgress(progress(exp.id, { seq: 12 }));
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 12 })]);
      await ctx.store.setInflight(exp.id, 'ios', 0, 0, flight(20, T0));
      await ctx.store.setInflight(exp.id, 'ios', 0, 0, null);
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 12 })]);
    });

    it('keeps a partly sent read in flight with its progress, and its counters, until the cursor moves', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([cursor(exp.id, { seq: 5 })]);
      await ctx.store.setInflight(exp.id, 'ios', 0, 0, flight(30, T0));
      const send = 'users.messages.email.Send';
      await ctx.store.commitProgress(
        progress(exp.id, {
          seq: 5,
          inflight: flight(30, T0, [6, 7], ['a-batch']),
          counters: [{ feed: 'ios', type: send, outcome: 'delivered', count: 200 }],
          delivered: { count: 200, at: T0 },
        }),
      );
      expect(await unversioned(ctx, exp.id)).toEqual([
        cursor(exp.id, { seq: 5, inflight: flight(30, T0, [6, 7], ['a-batch']) }),
      ]);
      await ctx.store.commitProgress(
        progress(exp.id, { seq: 30, counters: [{ feed: 'ios', type: send, outcome: 'delivered', count: 50 }] }),
      );
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 30 })]);
      expect(await ctx.store.getCounters(exp.id)).toEqual([
        { exportId: exp.id, feed: 'ios', type: send, outcome: 'delivered', count: 250 },
      ]);
    });

    it('keeps the transformations of a chunk in flight, and counts values left as they were per field', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([cursor(exp.id, { seq: 5 })]);
      const settings: PackSettings = {
        ...SETTINGS,
        transformations: [
          { field: 'email_address', action: 'hash' },
          { field: 'campaign_name', action: 'remove' },
        ],
      };
      const chunk: Inflight = { ...flight(12, T0), plan: { settings, exclude: [] } };
      await ctx.store.setInflight(exp.id, 'ios', 0, 0, chunk);
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 5, inflight: chunk })]);
      await ctx.store.commitProgress(
        progress(exp.id, {
          seq: 12,
          counters: [{ feed: 'ios', type: 'campaign_name', outcome: 'not_string', count: 3 }],
        }),
      );
      await ctx.store.commitProgress(
        progress(exp.id, {
          seq: 12,
          counters: [{ feed: 'ios', type: 'campaign_name', outcome: 'not_string', count: 2 }],
        }),
      );
      expect(await ctx.store.getCounters(exp.id)).toEqual([
        { exportId: exp.id, feed: 'ios', type: 'campaign_name', outcome: 'not_string', count: 5 },
      ]);
    });

    it('an in-flight read on a partition without a cursor starts it at the export startSeq', async () => {
      const exp = exportRecord({ startSeq: 40 });
      await ctx.store.createExport(exp);
      await ctx.store.setInflight(exp.id, 'ios', 3, 0, flight(55, T0));
      expect(await unversioned(ctx, exp.id)).toEqual([
        cursor(exp.id, { partition: 3, seq: 40, inflight: flight(55, T0) }),
      ]);
    });

    it('fences progress by lease: only the process holding the partition commits, and a refused commit writes nothing', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([cursor(exp.id, { seq: 5 })]);
      const key = { exportId: exp.id, feed: 'ios', partition: 0 };
      await ctx.store.claimLeases('process-a', [key], T0, 10_000);
      const send = 'users.messages.email.Send';
      await ctx.store.commitProgress(
        progress(exp.id, {
          seq: 8,
          counters: [{ feed: 'ios', type: send, outcome: 'delivered', count: 3 }],
          fence: { owner: 'process-a', now: T0 + 1 },
        }),
      );
      expect((await unversioned(ctx, exp.id))[0]!.seq).toBe(8);
      // Process b took over after a's lease expired: a's late commit is refused and changes nothing.
      await ctx.store.claimLeases('process-b', [key], T0 + 20_000, 10_000);
      const late = progress(exp.id, {
        seq: 6,
        counters: [{ feed: 'ios', type: send, outcome: 'delivered', count: 9 }],
        fence: { owner: 'process-a', now: T0 + 20_001 },
      });
      await expect(ctx.store.commitProgress(late)).rejects.toBeInstanceOf(LeaseLostError);
      expect((await unversioned(ctx, exp.id))[0]!.seq).toBe(8);
      expect(await ctx.store.getCounters(exp.id)).toEqual([
        { exportId: exp.id, feed: 'ios', type: send, outcome: 'delivered', count: 3 },
      ]);
      await ctx.store.commitProgress(progress(exp.id, { seq: 12, fence: { owner: 'process-b', now: T0 + 20_002 } }));
      expect((await unversioned(ctx, exp.id))[0]!.seq).toBe(12);
    });

    it('refuses progress for an export that no longer exists', async () => {
      await expect(ctx.store.commitProgress(progress('deleted-export'))).rejects.toThrow('deleted-export');
      expect(await ctx.store.getCursors('deleted-export')).toEqual([]);
    });

    it('adds counters up across calls, records dead letters, drops and delivered points by minute', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      const send = 'users.messages.email.Send';
      await ctx.store.commitProgress(
        progress(exp.id, {
          seq: 10,
          counters: [
            { feed: 'ios', type: send, outcome: 'delivered', count: 7 },
            { feed: 'ios', type: send, outcome: 'dead_lettered', count: 2 },
          ],
          deadLetters: [deadLetter(exp.id)],
          delivered: { count: 7, at: T0 },
        }),
      );
      await ctx.store.commitProgress(
        progress(exp.id, {
          seq: 20,
          counters: [
            { feed: 'ios', type: send, outcome: 'delivered', count: 3 },
            { feed: 'ios', type: send, outcome: 'dropped', count: 4 },
          ],
          drops: [
            {
              exportId: exp.id,
              feed: 'ios',
              type: send,
              count: 4,
              firstTime: 1_700_000_000,
              lastTime: 1_700_000_100,
              reason: 'credentials refused (401) for longer than the 72 h hold window',
              droppedAt: T0,
            },
          ],
          delivered: { count: 3, at: T0 + 15_000 },
        }),
      );
      await ctx.store.commitProgress(
        progress(exp.id, { feed: 'web', seq: 30, delivered: { count: 5, at: T0 + MINUTE } }),
      );

      const counters = await ctx.store.getCounters(exp.id);
      expect(counters).toHaveLength(3);
      expect(counters).toEqual(
        expect.arrayContaining([
          { exportId: exp.id, feed: 'ios', type: send, outcome: 'delivered', count: 10 },
          { exportId: exp.id, feed: 'ios', type: send, outcome: 'dead_lettered', count: 2 },
          { exportId: exp.id, feed: 'ios', type: send, outcome: 'dropped', count: 4 },
        ]),
      );
      const [dl] = await ctx.store.listDeadLetters(exp.id, { limit: 10 });
      expect(dl).toMatchObject({ ...deadLetter(exp.id), attempts: 1, lastAttemptAt: 1_700_000_000_000 });
      expect(await ctx.store.listDrops(exp.id)).toEqual([
        expect.objectContaining({ feed: 'ios', count: 4, firstTime: 1_700_000_000, lastTime: 1_700_000_100 }),
      ]);

      const minute = Math.floor(T0 / MINUTE) * MINUTE;
      const series = await ctx.store.deliverySeries(exp.id, 0);
      expect(series).toHaveLength(2);
      expect(series).toEqual(
        expect.arrayContaining([
          { feed: 'ios', minute, count: 10 },
          { feed: 'web', minute: minute + MINUTE, count: 5 },
        ]),
      );
      expect(await ctx.store.deliverySeries(exp.id, minute + MINUTE + 1)).toEqual([
        { feed: 'web', minute: minute + MINUTE, count: 5 },
      ]);
    });

    it('commits progress atomically: a step that cannot be recorded leaves no trace', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([cursor(exp.id, { seq: 5, inflight: flight(9, T0) })]);
      const broken = { ...deadLetter(exp.id), batch: null } as unknown as NewDeadLetter;
      await expect(
        ctx.store.commitProgress(
          progress(exp.id, {
            seq: 9,
            counters: [{ feed: 'ios', type: 't', outcome: 'delivered', count: 3 }],
            deadLetters: [deadLetter(exp.id), broken],
            delivered: { count: 3, at: T0 },
          }),
        ),
      ).rejects.toThrow();
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 5, inflight: flight(9, T0) })]);
      expect(await ctx.store.getCounters(exp.id)).toEqual([]);
      expect(await ctx.store.countDeadLetters(exp.id)).toBe(0);
      expect(await ctx.store.deliverySeries(exp.id, 0)).toEqual([]);
    });
  });

  describe('feed states', () => {
    it('keeps one state per feed, replaced on each put', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      const flowing: FeedState = {
        phase: 'flowing',
        heldSince: null,
        lastError: null,
        lastDeliveryAt: 1_700_000_000_000,
        lastProbeAt: null,
        notifiedAt: null,
        rateLimitPercentUsed: 12.5,
      };
      const held: FeedState = {
        ...flowing,
        phase: 'credentials_rejected',
        heldSince: 1_700_000_100_000,
        lastError: 'the ios feed key was refused (401): update it on the export page',
        notifiedAt: 1_700_000_100_500,
      };
      expect(await ctx.store.getFeedStates(exp.id)).toEqual({});
      await ctx.store.putFeedState(exp.id, 'ios', flowing);
      await ctx.store.putFeedState(exp.id, 'web', flowing);
      await ctx.store.putFeedState(exp.id, 'ios', held);
      expect(await ctx.store.getFeedStates(exp.id)).toEqual({ ios: held, web: flowing });
    });

    it('changes a state by compare-and-set: of two writers that read the same version, one wins', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      const flowing: FeedState = {
        phase: 'flowing',
        heldSince: null,
        lastError: null,
        lastDeliveryAt: null,
        lastProbeAt: null,
        notifiedAt: null,
        rateLimitPercentUsed: null,
      };
      const held: FeedState = { ...flowing, phase: 'credentials_rejected', heldSince: T0, lastError: '403' };
      expect(await ctx.store.getFeedState(exp.id, 'ios')).toBeNull();
      // Both saw no state: the first insert wins, the second finds the row there.
      const first = await Promise.all([
        ctx.store.swapFeedState(exp.id, 'ios', 0, held),
        ctx.store.swapFeedState(exp.id, 'ios', 0, { ...held, heldSince: T0 + 1 }),
      ]);
      expect(first.filter(Boolean)).toHaveLength(1);
      const stored = await ctx.store.getFeedState(exp.id, 'ios');
      expect(stored?.version).toBe(1);
      // Ten processes resume the feed from version 1: one does.
      const resumes = await Promise.all(
        Array.from({ length: 10 }, () => ctx.store.swapFeedState(exp.id, 'ios', 1, flowing)),
      );
      expect(resumes.filter(Boolean)).toHaveLength(1);
      expect(await ctx.store.getFeedState(exp.id, 'ios')).toEqual({ state: flowing, version: 2 });
      // A writer with a stale version changes nothing.
      expect(await ctx.store.swapFeedState(exp.id, 'ios', 1, held)).toBe(false);
      expect((await ctx.store.getFeedStates(exp.id)).ios).toEqual(flowing);
    });
  });

  describe('cursor versions', () => {
    it('lets a sender write only over the version of its cursor it read: a rewritten or removed row is not overwritten', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([cursor(exp.id, { seq: 5, version: 11 })]);
      const [read] = await ctx.store.getCursors(exp.id);
      expect(read!.version).toBe(11);
      await ctx.store.setInflight(exp.id, 'ios', 0, 0, flight(9, T0), { expect: 11, next: 12 });
      await ctx.store.commitProgress(progress(exp.id, { seq: 9, cas: { expect: 12, next: 13 } }));
      expect((await ctx.store.getCursors(exp.id))[0]).toMatchObject({ seq: 9, version: 13, inflight: null });
      // Another process regroups the feeds and writes the row anew: the first sender's writes are refused.
      await ctx.store.putCursors([cursor(exp.id, { seq: 4 })]);
      const counters = [{ feed: 'ios', type: 't', outcome: 'delivered' as const, count: 2 }];
      await expect(
        ctx.store.commitProgress(progress(exp.id, { seq: 20, counters, cas: { expect: 13, next: 14 } })),
      ).rejects.toBeInstanceOf(StaleCursorError);
      await expect(
        ctx.store.setInflight(exp.id, 'ios', 0, 0, flight(30, T0), { expect: 13, next: 14 }),
      ).rejects.toBeInstanceOf(StaleCursorError);
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 4 })]);
      expect(await ctx.store.getCounters(exp.id)).toEqual([]);
      // A removed row is not brought back by a late sender.
      const [now] = await ctx.store.getCursors(exp.id);
      await ctx.store.deleteCursors(exp.id, 'ios');
      await expect(
        ctx.store.setInflight(exp.id, 'ios', 0, 0, flight(30, T0), { expect: now!.version!, next: 99 }),
      ).rejects.toBeInstanceOf(StaleCursorError);
      expect(await ctx.store.getCursors(exp.id)).toEqual([]);
    });
  });

  describe('regrouping cursors', () => {
    it('replaces one generation only if no cursor of it moved meanwhile', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      await ctx.store.putCursors([
        cursor(exp.id, { feed: 'ios', seq: 10, version: 1 }),
        cursor(exp.id, { feed: 'unbound', seq: 20, version: 2 }),
        cursor(exp.id, { feed: 'unbound', generation: 3, seq: 5, version: 3 }),
      ]);
      const expected = [
        { feed: 'ios', partition: 0, version: 1 },
        { feed: 'unbound', partition: 0, version: 2 },
      ];
      const merged = cursor(exp.id, { feed: 'ios+unbound', seq: 10, version: 7 });
      // A sender moved unbound meanwhile: nothing is written.
      await ctx.store.commitProgress(progress(exp.id, { feed: 'unbound', seq: 25, cas: { expect: 2, next: 4 } }));
      expect(await ctx.store.replaceCursors(exp.id, 0, expected, [merged], ['ios', 'unbound'])).toBe(false);
      expect((await unversioned(ctx, exp.id)).map((c) => [c.feed, c.generation, c.seq])).toEqual([
        ['ios', 0, 10],
        ['unbound', 0, 25],
        ['unbound', 3, 5],
      ]);
      // Read again, regrouped again: replaced, the replay's cursors untouched.
      const again = [expected[0]!, { feed: 'unbound', partition: 0, version: 4 }];
      expect(await ctx.store.replaceCursors(exp.id, 0, again, [merged], ['ios', 'unbound'])).toBe(true);
      expect((await ctx.store.getCursors(exp.id)).map((c) => [c.feed, c.generation, c.seq, c.version])).toEqual([
        ['ios+unbound', 0, 10, 7],
        ['unbound', 3, 5, 3],
      ]);
      // A cursor added by someone else since also makes it refuse.
      expect(await ctx.store.replaceCursors(exp.id, 0, [], [], [])).toBe(false);
    });
  });

  describe('what a chunk in flight remembers', () => {
    it('keeps the settings it was packed under, its done events, the batches mParticle may have and passed rules', async () => {
      const exp = exportRecord();
      await ctx.store.createExport(exp);
      const passed = [
        { platformsNotIn: ['ios'], seq: 40, done: [44, 47] },
        { platformsIn: ['ios', 'web'], seq: 12, done: [] },
      ];
      const inflight: Inflight = {
        to: 90,
        at: T0,
        plan: {
          settings: { ...SETTINGS, merge: false, eventNames: { 'users.messages.email.Send': 'Email sent' } },
          exclude: [31, 33],
        },
        done: [31, 33, 35, 36],
        unsure: ['0b8c2d1e-aaaa-8000-8000-000000000001'],
        legacyDone: 0,
      };
      await ctx.store.putCursors([cursor(exp.id, { seq: 30, passed })]);
      await ctx.store.setInflight(exp.id, 'ios', 0, 0, { ...inflight, unsure: null });
      // Setting a chunk in flight leaves the passed rules alone.
      expect(await unversioned(ctx, exp.id)).toEqual([
        cursor(exp.id, { seq: 30, passed, inflight: { ...inflight, unsure: null } }),
      ]);
      await ctx.store.commitProgress(progress(exp.id, { seq: 30, inflight, passed }));
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 30, passed, inflight })]);
      // Handed over by a regroup: the key it went out under (a fingerprint) and the feed whose ids it carries.
      const handed: Inflight = { ...inflight, key: '0123456789abcdef', feed: 'unbound' };
      await ctx.store.commitProgress(progress(exp.id, { seq: 30, inflight: handed, passed }));
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 30, passed, inflight: handed })]);
      await ctx.store.commitProgress(progress(exp.id, { seq: 90, passed: [] }));
      expect(await unversioned(ctx, exp.id)).toEqual([cursor(exp.id, { seq: 90 })]);
    });
  });
}
