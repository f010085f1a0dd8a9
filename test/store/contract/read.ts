import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReadQuery } from '../../../src/store/port.js';
import type { AppPlatform, LogRow, NewEvent } from '../../../src/types.js';
import type { StoreContext } from './fixtures.js';
import { events, newEvent, readAll } from './fixtures.js';

const TYPES = ['users.messages.email.Send', 'users.messages.email.Open', 'users.messages.pushnotification.Send'];
const PLATFORMS: (AppPlatform | null)[] = ['ios', 'android', 'web', null];

/** What a read with these filters should return, computed independently of the store. */
function matches(e: NewEvent, q: Omit<ReadQuery, 'partition' | 'afterSeq' | 'limit'>): boolean {
  if (q.types !== undefined && !q.types.includes(e.type)) return false;
  if (q.fromTime !== undefined && e.time < q.fromTime) return false;
  if (q.toTime !== undefined && e.time > q.toTime) return false;
  if (q.platformsIn === undefined && q.platformsNotIn === undefined) return true;
  const isIn = q.platformsIn !== undefined && e.platform !== null && q.platformsIn.includes(e.platform);
  const notIn = q.platformsNotIn !== undefined && (e.platform === null || !q.platformsNotIn.includes(e.platform));
  return isIn || notIn;
}

const ids = (rows: readonly { eventId: string }[]): string[] => rows.map((r) => r.eventId);

export function describeRead(ctx: StoreContext): void {
  describe('event log: read', () => {
    /** Partition 1 holds 24 events over every type x platform; partition 2 holds noise in between. */
    async function mixedLog(): Promise<{ log: NewEvent[]; rows: LogRow[] }> {
      const log = events(24, (i) => ({
        partition: 1,
        type: TYPES[i % 3],
        platform: PLATFORMS[i % 4],
        appId: PLATFORMS[i % 4] === null ? null : `app-${i % 4}`,
        time: 1000 + i,
      }));
      for (const e of log) await ctx.store.append([e, newEvent({ partition: 2 })]);
      const { rows } = await ctx.store.read({ partition: 1, afterSeq: 0, limit: 100 });
      return { log, rows };
    }

    it('returns only its partition, in seq order, after afterSeq (exclusive)', async () => {
      const { log, rows } = await mixedLog();
      expect(ids(rows)).toEqual(ids(log));
      const later = await ctx.store.read({ partition: 1, afterSeq: rows[9]!.seq, limit: 100 });
      expect(ids(later.rows)).toEqual(ids(log.slice(10)));
    });

    it.each([
      ['types', { types: [TYPES[0]!, TYPES[2]!] }],
      ['platformsIn', { platformsIn: ['ios'] }],
      ['platformsNotIn (null or not listed)', { platformsNotIn: ['ios', 'android'] }],
      [
        'platformsIn and platformsNotIn (a feed serving ios and unbound)',
        { platformsIn: ['ios'], platformsNotIn: ['ios', 'android', 'web'] },
      ],
      ['event time range, inclusive', { fromTime: 1005, toTime: 1010 }],
      ['everything at once', { types: [TYPES[1]!], platformsNotIn: ['web'], fromTime: 1003 }],
      ['an empty type list', { types: [] }],
    ] as const)('filters by %s', async (_name, filter) => {
      const { log } = await mixedLog();
      const r = await ctx.store.read({ partition: 1, afterSeq: 0, limit: 100, ...filter });
      const expected = log.filter((e) => matches(e, filter));
      expect(ids(r.rows)).toEqual(ids(expected));
      expect(r.scannedTo).toBe(await ctx.store.headSeq());
    });

    it('stops at uptoSeq (inclusive) and reports it as scanned', async () => {
      const { log, rows } = await mixedLog();
      const upto = rows[5]!.seq;
      const r = await ctx.store.read({ partition: 1, afterSeq: 0, uptoSeq: upto, limit: 100 });
      expect(ids(r.rows)).toEqual(ids(log.slice(0, 6)));
      expect(r.scannedTo).toBe(upto);
      // An uptoSeq past the head cannot vouch for rows not yet written: it stops at the head.
      const head = await ctx.store.headSeq();
      expect((await ctx.store.read({ partition: 1, afterSeq: 0, uptoSeq: head + 100, limit: 100 })).scannedTo).toBe(
        head,
      );
    });

    it('returns at most limit rows and then reports the last returned seq as scanned', async () => {
      const { log } = await mixedLog();
      const r = await ctx.store.read({ partition: 1, afterSeq: 0, limit: 4, platformsIn: ['web'] });
      const expected = log.filter((e) => e.platform === 'web').slice(0, 4);
      expect(ids(r.rows)).toEqual(ids(expected));
      expect(r.scannedTo).toBe(r.rows[3]!.seq);
    });

    it('reports the log head as scanned when the partition has nothing more, even if the head is elsewhere', async () => {
      await ctx.store.append([newEvent({ partition: 1 })]);
      const tail = await ctx.store.append([newEvent({ partition: 2 })]);
      const r = await ctx.store.read({ partition: 1, afterSeq: 0, limit: 10 });
      expect(r.rows).toHaveLength(1);
      expect(r.scannedTo).toBe(tail.lastSeq);
      const again = await ctx.store.read({ partition: 1, afterSeq: r.scannedTo, limit: 10 });
      expect(again).toEqual({ rows: [], scannedTo: r.scannedTo });
    });

    it('bounds the work of one read on a partition where nothing matches, without skipping the match', async () => {
      const noise = events(12_000, () => ({ partition: 5, type: TYPES[1] }));
      for (let i = 0; i < noise.length; i += 1000) await ctx.store.append(noise.slice(i, i + 1000));
      const wanted = newEvent({ partition: 5, type: TYPES[0] });
      const { lastSeq } = await ctx.store.append([wanted]);

      const first = await ctx.store.read({ partition: 5, afterSeq: 0, limit: 10, types: [TYPES[0]!] });
      expect(first.rows).toEqual([]);
      expect(first.scannedTo).toBeLessThan(lastSeq!);
      const looked = (await ctx.store.read({ partition: 5, afterSeq: 0, uptoSeq: first.scannedTo, limit: 20_000 }))
        .rows;
      expect(looked.length).toBeGreaterThanOrEqual(40);
      expect(looked.length).toBeLessThanOrEqual(6000);

      const all = await readAll(ctx.store, { partition: 5, limit: 10, types: [TYPES[0]!] });
      expect(ids(all.rows)).toEqual([wanted.eventId]);
      expect(all.reads).toBeGreaterThan(2);
    });

    it('counts what a feed has left: same filters as read, with the oldest receipt', async () => {
      const { log, rows } = await mixedLog();
      const filter = { types: [TYPES[0]!, TYPES[1]!], platformsNotIn: ['ios'] };
      const after = rows[5]!.seq;
      const expected = log.filter((e, i) => i > 5 && matches(e, filter));
      const backlog = await ctx.store.countBacklog({ partition: 1, afterSeq: after, ...filter });
      expect(backlog.events).toBe(expected.length);
      expect(backlog.oldestReceivedAt).toBe(Math.min(...expected.map((e) => e.receivedAt)));
      const none = await ctx.store.countBacklog({ partition: 1, afterSeq: rows[rows.length - 1]!.seq });
      expect(none).toEqual({ events: 0, oldestReceivedAt: null });
      const upto = await ctx.store.countBacklog({ partition: 1, afterSeq: 0, uptoSeq: rows[3]!.seq });
      expect(upto.events).toBe(4);
    });

    it('pages through any filter without losing or repeating a row (property)', async () => {
      let partition = 100;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              type: fc.constantFrom(...TYPES),
              platform: fc.constantFrom(...PLATFORMS),
              time: fc.integer({ min: 0, max: 20 }),
              other: fc.boolean(),
            }),
            { maxLength: 60 },
          ),
          fc.record(
            {
              types: fc.subarray(TYPES),
              platformsIn: fc.subarray(['ios', 'android', 'web']),
              platformsNotIn: fc.subarray(['ios', 'android', 'web']),
              fromTime: fc.integer({ min: 0, max: 20 }),
              toTime: fc.integer({ min: 0, max: 20 }),
            },
            { requiredKeys: [] },
          ),
          fc.integer({ min: 1, max: 7 }),
          async (specs, filter, limit) => {
            partition += 1;
            // Rows of this partition interleave with rows of another, as in a real log.
            const log = specs.map((s) =>
              newEvent({ partition: s.other ? 99 : partition, type: s.type, platform: s.platform, time: s.time }),
            );
            if (log.length > 0) await ctx.store.append(log);
            const got = await readAll(ctx.store, { partition, limit, ...filter });
            const expected = log.filter((e) => e.partition === partition && matches(e, filter));
            expect(ids(got.rows)).toEqual(ids(expected));
            expect(got.end).toBe(await ctx.store.headSeq());
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
