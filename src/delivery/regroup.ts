import { feedReadFilter, keyTag, type FeedPlan } from '../mparticle/index.js';
import { SLOTS, type Cursor, type Inflight, type PassedRule, type Slot } from '../types.js';

/** Cursors of feeds that no longer exist keep this prefix: what they had done, for when their slots come back. */
export const RETIRED = '~';

export const isRetired = (feed: string): boolean => feed.startsWith(RETIRED);

const slotsOf = (feed: string): Slot[] => (isRetired(feed) ? feed.slice(RETIRED.length) : feed).split('+') as Slot[];

export interface Regrouped {
  /** Cursors that stay as they are. */
  keep: Cursor[];
  /** Cursors to write (new feeds, feeds that take over slots, and the retired copies of removed feeds). */
  create: Cursor[];
  /** Feeds whose cursors go (removed feeds, once retired; retired feeds whose slots were taken up again). */
  removeFeeds: string[];
}

/**
 * Cursors for a new set of feeds, from the cursors of the old set, so that a credentials change loses nothing and
 * repeats nothing. Each new feed starts, per partition, at the lowest cursor among the old feeds that used to carry
 * any of the slots it now carries (a kept feed that takes over slots moves back too), and keeps, as `passed` rules,
 * how far each of those feeds had got (with its chunk in flight's done events): the events they already dealt with
 * are passed, not sent or counted again. A partition with no old cursor to inherit starts at `startSeq`.
 *
 * A removed feed's cursors are kept as retired cursors (`~ios`) holding its rules: when its slots get credentials
 * again and no live feed carried them meanwhile, the new feed takes up where it stopped, not from the start.
 *
 * Old feeds are known from their ids (slots joined by '+'): a slot with no old feed of its own was carried by the
 * old feed holding `unbound`, if there was one.
 */
export function regroupCursors(
  old: readonly Cursor[],
  plans: readonly FeedPlan[],
  ctx: { exportId: string; partitions: number; generation: number; startSeq: number },
): Regrouped {
  const oldFeeds = [...new Set(old.map((c) => c.feed))];
  const live = oldFeeds.filter((f) => !isRetired(f));
  const retired = oldFeeds.filter(isRetired);
  const carrying = (feeds: string[], slot: Slot) => feeds.find((f) => slotsOf(f).includes(slot));
  const oldCarrier = (slot: Slot): string | undefined =>
    carrying(live, slot) ?? carrying(live, 'unbound') ?? carrying(retired, slot) ?? carrying(retired, 'unbound');
  const newFeedIds = new Set(plans.map((p) => p.id));
  const newCarrierOf = (slot: Slot): FeedPlan | undefined =>
    plans.find((p) => p.slots.includes(slot)) ?? plans.find((p) => p.slots.includes('unbound'));
  const at = new Map(old.map((c) => [`${c.feed}\u0000${c.partition}`, c]));
  const oldConfigured = SLOTS.filter((slot) => live.some((f) => slotsOf(f).includes(slot)));
  const newConfigured = SLOTS.filter((slot) => plans.some((p) => p.slots.includes(slot)));
  /** Everything a cursor had dealt with, as rules: its own reach (under the old routing) and what it inherited. */
  const rulesOf = (c: Pick<Cursor, 'feed' | 'seq' | 'inflight' | 'passed'>): PassedRule[] =>
    isRetired(c.feed)
      ? c.passed
      : [
          {
            ...feedReadFilter({ id: c.feed, slots: slotsOf(c.feed), key: '' }, oldConfigured),
            seq: c.seq,
            done: c.inflight?.done ?? [],
          },
          ...c.passed,
        ];

  const tags = new Map(plans.map((p) => [p.id, keyTag(p.key)]));
  const sentUnder = new Set(tags.values());
  const keep: Cursor[] = [];
  const create: Cursor[] = [];
  const usedRetired = new Set<string>();
  for (const plan of plans) {
    const sources = new Set<string>();
    for (const slot of SLOTS) {
      if (newCarrierOf(slot)?.id !== plan.id) continue;
      const carrier = oldCarrier(slot);
      if (carrier !== undefined) sources.add(carrier);
    }
    for (const s of sources) if (isRetired(s)) usedRetired.add(s);
    for (let partition = 0; partition < ctx.partitions; partition++) {
      const existing = at.get(`${plan.id}\u0000${partition}`);
      if (existing && sources.size === 1 && sources.has(plan.id)) {
        // Same feed, same events: kept. When it reads other events now (a slot of its went to another feed), it is
        // written again, so that a process still sending it under the old routing can no longer commit.
        const same =
          JSON.stringify(feedReadFilter(plan, oldConfigured)) === JSON.stringify(feedReadFilter(plan, newConfigured));
        (same ? keep : create).push(existing);
        continue;
      }
      const from = [...sources].map(
        (f) => at.get(`${f}\u0000${partition}`) ?? { feed: f, seq: ctx.startSeq, inflight: null, passed: [] },
      );
      const seq = from.length > 0 ? Math.min(...from.map((c) => c.seq)) : ctx.startSeq;
      create.push({
        exportId: ctx.exportId,
        feed: plan.id,
        partition,
        generation: ctx.generation,
        seq,
        inflight: carried(handedOver(existing, from, tags.get(plan.id)!, sentUnder), plan.id),
        passed: prune(from.flatMap(rulesOf), seq),
      });
    }
  }

  const removed = live.filter((f) => !newFeedIds.has(f));
  // A removed feed whose slots all have a new carrier lives on in it; one with a slot left without is retired.
  const retiring = removed.filter((f) => slotsOf(f).some((slot) => newCarrierOf(slot) === undefined));
  for (const feed of retiring) {
    for (const c of old.filter((x) => x.feed === feed)) {
      create.push({ ...c, feed: `${RETIRED}${feed}`, inflight: null, passed: rulesOf(c) });
    }
  }
  // A retired feed whose own slots all have a live carrier again, or overlapping a newer retirement, is superseded.
  // One that only lent a slot it carried for others (a retired unbound's web events, say, now ios+web's) stays: it
  // still knows what it did with the events of its own slots, which no live feed carries (the trace reads it).
  const superseded = retired.filter(
    (r) =>
      (usedRetired.has(r) && slotsOf(r).every((slot) => newCarrierOf(slot) !== undefined)) ||
      retiring.some((f) => `${RETIRED}${f}` !== r && slotsOf(f).some((s) => slotsOf(r).includes(s))),
  );
  return { keep, create, removeFeeds: [...removed, ...superseded] };
}

/**
 * Whose chunk in flight a new cursor takes, if any: the one sent under the new feed's key by a feed it takes events
 * from (web given the unbound feed's key: unbound+web resends unbound's batches), else the feed's own of the same id
 * unless another feed sends under the key that chunk went out under now.
 */
type Held = Pick<Cursor, 'feed' | 'seq' | 'inflight'>;

function handedOver(
  existing: Held | undefined,
  sources: readonly Held[],
  key: string,
  keys: ReadonlySet<string>,
): Held | undefined {
  const sameKey = sources.find((c) => !isRetired(c.feed) && c.inflight?.key === key && mayHave(c.inflight));
  if (sameKey !== undefined) return sameKey;
  const own = existing?.inflight?.key;
  return own === undefined || own === key || !keys.has(own) ? existing : undefined;
}

const mayHave = (i: Inflight): boolean => i.plan !== null && (i.unsure === null || i.unsure.length > 0);

/**
 * A feed that takes over other slots moves back, and takes the chunk in flight of the feed that sent under its key
 * when mParticle may have some of its batches: they are sent again as they were (the same source_request_ids, of the
 * feed that made them) before anything else, so that mParticle recognises them; the plan covers only rows past that
 * feed's cursor. Otherwise what the old feeds had done is in the passed rules.
 */
function carried(from: Held | undefined, feed: string): Cursor['inflight'] {
  const i = from?.inflight;
  if (from === undefined || i === undefined || i === null || i.plan === null || !mayHave(i)) return null;
  const madeBy = i.feed ?? from.feed;
  const { feed: _was, ...rest } = i;
  return {
    ...rest,
    plan: { ...i.plan, after: i.plan.after ?? from.seq },
    legacyDone: 0,
    ...(madeBy === feed ? {} : { feed: madeBy }),
  };
}

/** Rules a cursor at `seq` still needs: those reaching past it. */
export function prune(rules: readonly PassedRule[], seq: number): PassedRule[] {
  return rules
    .map((r) => ({ ...r, done: r.done.filter((d) => d > seq) }))
    .filter((r) => r.seq > seq || r.done.length > 0);
}
