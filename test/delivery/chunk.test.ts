import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { createHash } from 'node:crypto';
import { planChunk, samePacking, type ChunkInput } from '../../src/delivery/chunk.js';
import { idOf } from '../../src/delivery/send.js';
import { Tally } from '../../src/delivery/tally.js';
import { toNewEvent } from '../../src/ingest/normalize.js';
import { packRequests } from '../../src/mparticle/index.js';
import type { CurrentsEvent, Inflight, LogRow, PackSettings, Transformation } from '../../src/types.js';

const SEND = 'users.messages.email.Send';
const CLICK = 'users.messages.contentcard.Click';
const T = Date.UTC(2026, 10, 1);

const base: PackSettings = {
  types: [CLICK, SEND].sort(),
  environment: 'production',
  identity: 'customer_id',
  eventNames: {},
  merge: true,
};

function rows(specs: { type: string; user: string | null }[]): LogRow[] {
  return specs.map((s, i) => {
    const event = sampleEvent(s.type, {
      id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
      time: T / 1000 - 60 + i,
      externalUserId: s.user,
    }) as CurrentsEvent;
    return { ...toNewEvent(event, T, 1), seq: 100 + i };
  });
}

const input = (over: Partial<ChunkInput>): ChunkInput => ({
  exportId: 'e',
  feedId: 'unbound',
  generation: 0,
  rows: [],
  to: 200,
  stored: null,
  current: base,
  key: 'tag-a',
  now: T,
  ...over,
});

const chunk = (over: Partial<Inflight>): Inflight => ({
  to: 200,
  at: T,
  plan: { settings: base, exclude: [] },
  done: [],
  unsure: null,
  legacyDone: 0,
  ...over,
});

const seqsOf = (batches: { seqs: number[] }[]) => batches.flatMap((b) => b.seqs).sort((a, b) => a - b);

describe('planChunk', () => {
  const log = rows([
    { type: SEND, user: 'a' },
    { type: SEND, user: 'b' },
    { type: CLICK, user: 'a' },
    { type: SEND, user: null },
    { type: CLICK, user: 'c' },
  ]);

  it('packs a new chunk under the settings of now, counts the skipped at the end, and says to record it first', () => {
    const plan = planChunk(input({ rows: log }));
    expect(seqsOf(plan.batches)).toEqual([100, 101, 102, 104]);
    expect(plan.closing?.counters()).toEqual([{ feed: 'unbound', type: SEND, outcome: 'skipped', count: 1 }]);
    expect(plan.persist).toBe(true);
    expect(plan.inflight).toMatchObject({ to: 200, at: T, plan: { settings: base, exclude: [] }, done: [] });
  });

  it('packs a chunk in flight under unchanged settings the same way, leaving out what is done', () => {
    const first = planChunk(input({ rows: log }));
    const doneBatch = first.batches.find((b) => b.seqs.includes(101))!;
    const again = planChunk(input({ rows: log, stored: chunk({ done: doneBatch.seqs, unsure: [] }), now: T + 9 }));
    expect(again.batches.map(idOf)).toEqual(first.batches.filter((b) => b !== doneBatch).map(idOf));
    expect(again.persist).toBe(true);
    expect(again.inflight.unsure).toBeNull();
  });

  it('after an edit, first sends again as they were the batches mParticle may have, then plans the rest afresh', () => {
    const first = planChunk(input({ rows: log }));
    const sent = first.batches.find((b) => b.seqs.includes(100))!;
    const maybe = first.batches.find((b) => b.seqs.includes(104))!;
    const edited: PackSettings = { ...base, merge: false, eventNames: { [SEND]: 'Mail' } };
    const stored = chunk({ done: sent.seqs, unsure: [idOf(maybe)] });
    const resend = planChunk(input({ rows: log, stored, current: edited, now: T + 5 }));
    expect(resend.batches.map(idOf)).toEqual([idOf(maybe)]);
    expect(resend.batches[0]!.json).toBe(maybe.json);
    expect(resend.closing).toBeNull();

    const after = chunk({ done: [...sent.seqs, ...maybe.seqs], unsure: [] });
    const fresh = planChunk(input({ rows: log, stored: after, current: edited, now: T + 6 }));
    // Not merged any more, named anew; only what had no fate yet.
    const remaining = log.filter((r) => !after.done.includes(r.seq) && r.externalUserId !== null).map((r) => r.seq);
    expect(seqsOf(fresh.batches)).toEqual(remaining);
    expect(fresh.batches.every((b) => b.seqs.length === 1)).toBe(true);
    expect(fresh.batches.some((b) => b.json.includes('"Mail"'))).toBe(true);
    expect(fresh.inflight.plan).toEqual({ settings: edited, exclude: after.done });
    expect(fresh.persist).toBe(true);
  });

  it('after an edit of the transformations, sends again as it was what mParticle may have, then the rest transformed', () => {
    const hashed: PackSettings = { ...base, transformations: [{ field: 'email_address', action: 'hash' }] };
    expect(samePacking(base, hashed)).toBe(false);
    expect(samePacking(hashed, { ...base, transformations: [{ field: 'email_address', action: 'hash' }] })).toBe(true);
    expect(samePacking(base, { ...base, transformations: [] })).toBe(true);
    const first = planChunk(input({ rows: log }));
    const maybe = first.batches.find((b) => b.seqs.includes(100))!;
    expect(maybe.json).toContain('test-user@example.com');
    const stored = chunk({ unsure: [idOf(maybe)] });
    const resend = planChunk(input({ rows: log, stored, current: hashed, now: T + 5 }));
    expect(resend.batches.map((b) => b.json)).toEqual([maybe.json]);
    expect(resend.closing).toBeNull();

    const after = chunk({ done: maybe.seqs, unsure: [] });
    const fresh = planChunk(input({ rows: log, stored: after, current: hashed, now: T + 6 }));
    const mails = fresh.batches.filter((b) => b.types.includes(SEND));
    expect(mails.length).toBeGreaterThan(0);
    for (const b of fresh.batches) expect(b.json).not.toContain('test-user@example.com');
    expect(mails[0]!.json).toContain(createHash('sha256').update('test-user@example.com').digest('hex'));
    expect(fresh.inflight.plan?.settings.transformations).toEqual(hashed.transformations);
  });

  it('counts per field the values a transformation left as they were because they were not strings', () => {
    const odd = rows([
      { type: SEND, user: 'a' },
      { type: SEND, user: 'b' },
    ]).map((r, i) =>
      i === 0 ? { ...r, payload: JSON.stringify({ ...JSON.parse(r.payload), campaign_name: 42 }) } : r,
    );
    const settings: PackSettings = {
      ...base,
      transformations: [
        { field: 'campaign_name', action: 'hash' },
        { field: 'time', action: 'remove' },
      ],
    };
    const plan = planChunk(input({ rows: odd, current: settings }));
    const notString = plan.closing!.counters().filter((c) => c.outcome === 'not_string');
    expect(notString.sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { feed: 'unbound', type: 'campaign_name', outcome: 'not_string', count: 1 },
      { feed: 'unbound', type: 'time', outcome: 'not_string', count: 2 },
    ]);
  });

  it('after a crash (any batch not done may have arrived) and an edit, sends the whole rest as it was', () => {
    const first = planChunk(input({ rows: log }));
    const edited: PackSettings = { ...base, identity: 'other' };
    const plan = planChunk(input({ rows: log, stored: chunk({ unsure: null }), current: edited, now: T + 5 }));
    expect(plan.batches.map(idOf)).toEqual(first.batches.map(idOf));
    expect(plan.closing).toBeNull();
  });

  it('reads a chunk recorded by the version that counted requests: its first requests are done', () => {
    const first = planChunk(input({ rows: log }));
    expect(packRequests(first.batches)).toHaveLength(1);
    // The old version packed up to 100 batches a request: all of this chunk's batches were its first request.
    const legacy = planChunk(input({ rows: log, stored: chunk({ plan: null, legacyDone: 1 }) }));
    expect(legacy.batches).toEqual([]);
    expect(legacy.closing?.counters()).toHaveLength(1);
    expect(legacy.persist).toBe(true);
    const none = planChunk(input({ rows: log, stored: chunk({ plan: null, legacyDone: 0 }) }));
    expect(none.batches.map(idOf)).toEqual(first.batches.map(idOf));
  });

  it('after the sources of an export change, packs afresh what has no fate yet, from the sources taken now', () => {
    const brandB = log.map((r) => (r.seq % 2 === 0 ? { ...r, source: 'brand-b' } : r));
    const onlyDefault: PackSettings = { ...base, sources: ['default'] };
    const first = planChunk(input({ rows: brandB, current: onlyDefault }));
    expect(seqsOf(first.batches)).toEqual(
      brandB.filter((r) => r.source === 'default' && r.externalUserId).map((r) => r.seq),
    );
    const both: PackSettings = { ...base, sources: ['brand-b', 'default'] };
    const stored = chunk({ plan: { settings: onlyDefault, exclude: [] }, done: seqsOf(first.batches), unsure: [] });
    const after = planChunk(input({ rows: brandB, stored, current: both, now: T + 1 }));
    expect(seqsOf(after.batches)).toEqual(
      brandB.filter((r) => r.source === 'brand-b' && r.externalUserId).map((r) => r.seq),
    );
  });

  it("packs a chunk again with the feed's platform filter of then, and what the filter of now adds afresh", () => {
    const noIos: PackSettings = { ...base, platforms: { platformsNotIn: ['ios'] } };
    const first = planChunk(input({ rows: log, current: noIos }));
    const ios = log.filter((r) => r.platform === 'ios').map((r) => r.seq);
    expect(ios.length).toBeGreaterThan(0);
    expect(seqsOf(first.batches).some((s) => ios.includes(s))).toBe(false);
    // Crashed with it in flight: sent again as it was, without the ios events, under the filter of then.
    const again = planChunk(
      input({
        rows: log,
        stored: chunk({ plan: { settings: noIos, exclude: [] } }),
        current: { ...base, platforms: {} },
      }),
    );
    expect(again.batches.map(idOf)).toEqual(first.batches.map(idOf));
    // Once those are done, the ios events (now this feed's) are packed afresh.
    const done = seqsOf(first.batches);
    const stored = chunk({ plan: { settings: noIos, exclude: [] }, done, unsure: [] });
    const fresh = planChunk(input({ rows: log, stored, current: { ...base, platforms: {} }, now: T + 1 }));
    expect(seqsOf(fresh.batches)).toEqual(ios.filter((s) => log.find((r) => r.seq === s)!.externalUserId !== null));
  });

  it('resends a chunk as it was after its platforms went to another feed, but leaves their fates to that feed', () => {
    const noIos: PackSettings = { ...base, platforms: { platformsNotIn: ['ios'] } };
    const first = planChunk(input({ rows: log }));
    const ios = log.filter((r) => r.platform === 'ios').map((r) => r.seq);
    expect(ios).toEqual([102, 104]);
    // Crashed with it in flight, then ios got a key (a feed) of its own: what mParticle may have goes again as it was.
    const again = planChunk(input({ rows: log, stored: chunk({}), current: noIos }));
    expect(again.closing).toBeNull();
    expect([...again.foreign].sort()).toEqual(ios);
    const mixed = first.batches.filter((b) => !b.seqs.every((s) => ios.includes(s)));
    expect(again.batches.map(idOf)).toEqual(mixed.map(idOf));
    // User c's batch holds only ios events: the ios feed sends it, this one does not.
    expect(seqsOf(again.batches)).not.toContain(104);
    // Delivered, the resent batches count and mark done only this feed's events.
    const tally = new Tally('e', 'unbound', again.foreign);
    for (const b of again.batches) tally.deliveredBatch(b);
    expect(tally.done.sort()).toEqual([100, 101]);
    expect(tally.counters()).toEqual([{ feed: 'unbound', type: SEND, outcome: 'delivered', count: 2 }]);
    // Then nothing is left for this feed: the ios events are not packed afresh here.
    const stored = chunk({ done: tally.done, unsure: [] });
    const rest = planChunk(input({ rows: log, stored, current: noIos, now: T + 1 }));
    expect(rest.batches).toEqual([]);
    expect(rest.closing?.counters()).toEqual([{ feed: 'unbound', type: SEND, outcome: 'skipped', count: 1 }]);
  });

  it("resends a chunk handed over from a feed of another id under that feed's source_request_ids", () => {
    // Sent by unbound under key b; then web was given key b too, so web+unbound sends under it now.
    const first = planChunk(input({ rows: log }));
    expect(first.inflight.key).toBe('tag-a');
    const stored = chunk({ unsure: [idOf(first.batches[0]!)], feed: 'unbound', key: 'tag-a' });
    const handed = { ...stored, plan: { ...stored.plan!, after: 99 } };
    const current = { ...base, platforms: { platformsNotIn: ['ios', 'android'] } };
    const again = planChunk(input({ rows: log, feedId: 'web+unbound', stored: handed, current }));
    // Only the batch mParticle may have, with the id it may have seen (web+unbound's own would differ).
    expect(again.batches.map(idOf)).toEqual([idOf(first.batches[0]!)]);
    expect(again.closing).toBeNull();
    const own = planChunk(input({ rows: log, feedId: 'web+unbound', current }));
    expect(own.batches.map(idOf)).not.toContain(idOf(first.batches[0]!));
    // Once it is done, the rest is packed afresh under the feed of now, with its own ids and key.
    const rest = planChunk(
      input({
        rows: log,
        feedId: 'web+unbound',
        stored: { ...handed, done: first.batches[0]!.seqs, unsure: [] },
        current,
      }),
    );
    expect(rest.batches.map(idOf).every((id) => own.batches.map(idOf).includes(id))).toBe(true);
    expect(rest.inflight.feed).toBeUndefined();
  });

  it('gives every event of a chunk exactly one place, whatever was done before and whatever changed', async () => {
    const types = [SEND, CLICK];
    const settings = fc.record({
      types: fc.subarray(types, { minLength: 1 }).map((t) => [...t].sort()),
      environment: fc.constantFrom('production' as const, 'development' as const),
      identity: fc.constantFrom('customer_id' as const, 'other' as const),
      eventNames: fc.constantFrom({}, { [SEND]: 'Mail' }),
      merge: fc.boolean(),
      transformations: fc.constantFrom<Transformation[][]>(
        [],
        [{ field: 'email_address', action: 'hash' }],
        [{ field: 'external_user_id', action: 'remove' }],
      ),
    });
    const specs = fc.array(
      fc.record({ type: fc.constantFrom(...types), user: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null }) }),
      { minLength: 1, maxLength: 30 },
    );
    await fc.assert(
      fc.asyncProperty(
        specs,
        settings,
        settings,
        fc.nat(),
        fc.boolean(),
        async (spec, before, after, pick, crashed) => {
          const chunkRows = rows(spec);
          const first = planChunk(input({ rows: chunkRows, current: before }));
          // Some whole batches got their fate; some others may have reached mParticle.
          const done = first.batches.filter((_, i) => (pick >> i) & 1).flatMap((b) => b.seqs);
          const unsure = crashed ? null : first.batches.filter((_, i) => (pick >> (i + 8)) & 1).map(idOf);
          const stored = chunk({ plan: { settings: before, exclude: [] }, done, unsure });
          let plan = planChunk(input({ rows: chunkRows, stored, current: after, now: T + 1 }));
          let fated = [...done];
          if (plan.closing === null) {
            // The resend step ends with its batches done; then the rest is planned.
            fated = [...fated, ...plan.batches.flatMap((b) => b.seqs)];
            const next = chunk({ plan: { settings: before, exclude: [] }, done: fated, unsure: [] });
            plan = planChunk(input({ rows: chunkRows, stored: next, current: after, now: T + 2 }));
          }
          const closing = plan.closing!;
          const skipped = closing.counters().reduce((n, c) => n + (c.outcome === 'skipped' ? c.count : 0), 0);
          const refused = closing.deadLetters.flatMap((d) => d.eventIds).length;
          const placed = [...fated, ...plan.batches.flatMap((b) => b.seqs)];
          expect(new Set(placed).size).toBe(placed.length);
          const selected = chunkRows.filter((r) => after.types.includes(r.type) || fated.includes(r.seq));
          expect(placed.length + skipped + refused).toBe(selected.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
