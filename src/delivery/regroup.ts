import type { FeedPlan } from '../mparticle/index.js';
import { SLOTS, type Cursor, type Slot } from '../types.js';

/**
 * Cursors for a new set of feeds, from the cursors of the old set, so that a credentials change loses nothing:
 * each new feed starts, per partition, at the lowest cursor among the old feeds that used to carry any of the slots
 * it now carries (a kept feed that takes over slots moves back too). Events between that cursor and where another old feed had got are sent again (at-least-once);
 * none is skipped. A partition with no old cursor to inherit starts at `startSeq`. In-flight ranges are not
 * inherited: the new feed reads afresh.
 *
 * Old feeds are known from their ids (slots joined by '+'): a slot with no old feed of its own was carried by the
 * old feed holding `unbound`, if there was one.
 */
export function regroupCursors(
  old: readonly Cursor[],
  plans: readonly FeedPlan[],
  ctx: { exportId: string; partitions: number; generation: number; startSeq: number },
): { keep: Cursor[]; create: Cursor[]; removeFeeds: string[] } {
  const oldFeeds = [...new Set(old.map((c) => c.feed))];
  const oldCarrier = (slot: Slot): string | undefined =>
    oldFeeds.find((f) => f.split('+').includes(slot)) ?? oldFeeds.find((f) => f.split('+').includes('unbound'));
  const newFeedIds = new Set(plans.map((p) => p.id));
  const newCarrierOf = (slot: Slot): FeedPlan | undefined =>
    plans.find((p) => p.slots.includes(slot)) ?? plans.find((p) => p.slots.includes('unbound'));
  const at = new Map(old.map((c) => [`${c.feed}\u0000${c.partition}`, c]));

  const keep: Cursor[] = [];
  const create: Cursor[] = [];
  for (const plan of plans) {
    const sources = new Set<string>();
    for (const slot of SLOTS) {
      if (newCarrierOf(slot)?.id !== plan.id) continue;
      const carrier = oldCarrier(slot);
      if (carrier !== undefined) sources.add(carrier);
    }
    for (let partition = 0; partition < ctx.partitions; partition++) {
      const existing = at.get(`${plan.id}\u0000${partition}`);
      if (existing && sources.size === 1 && sources.has(plan.id)) {
        keep.push(existing);
        continue;
      }
      const inherited = [...sources]
        .map((f) => at.get(`${f}\u0000${partition}`)?.seq)
        .filter((s): s is number => s !== undefined);
      create.push({
        exportId: ctx.exportId,
        feed: plan.id,
        partition,
        generation: ctx.generation,
        seq: inherited.length > 0 ? Math.min(...inherited) : ctx.startSeq,
        inflight: null,
      });
    }
  }
  return { keep, create, removeFeeds: oldFeeds.filter((f) => !newFeedIds.has(f)) };
}
