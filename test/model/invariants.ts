import { sourceRequestId } from '../../src/mparticle/ids.js';
import { traceEvent, type Fate } from '../../src/server/exports/trace.js';
import type { Outcome } from '../../src/types.js';
import { EXPORT_ID, TYPES, type World } from './world.js';

/**
 * What must hold once the world settled, for every event and the export:
 * 1. every event has one final fate, or a reason to have none: its trace is never "waiting" or "in flight";
 * 2. the trace tells the truth: "delivered" only if mParticle received it; "skipped" only without an external id;
 *    an event whose 2xx reached a live process (in a run without crashes) is delivered;
 * 3. mParticle never received an event of a type the export never selected;
 * 4. every duplicate mParticle received (an event it already had from the same feed and generation under the same
 *    key) carries a source_request_id it had seen;
 * 5. the totals add up: per type, delivered + dropped, dead-lettered and skipped equal what the traces say (runs
 *    without replays; with them, at least), and the processes' metrics counted exactly what the store counted;
 * 6. no process logged an error while alive;
 * 7. with several processes, the contact heard of each hold and each resume once.
 */
export async function checkInvariants(world: World): Promise<void> {
  const problems: string[] = [];
  const received = new Map<string, { acked: boolean }[]>();
  for (const r of world.mp.receipts) {
    for (const id of r.eventIds) {
      const list = received.get(id) ?? [];
      list.push({ acked: r.acked });
      received.set(id, list);
    }
  }

  const fates = new Map<string, Map<Fate, number>>();
  for (const e of world.pushed) {
    const row = await world.ingest.findEvent(e.id);
    if (row === null) {
      problems.push(`${e.id}: not in the log`);
      continue;
    }
    const trace = (await traceEvent(row, world.ingest, world.clock.now())).exports.find(
      (x) => x.export_id === EXPORT_ID,
    )!;
    const fate = trace.fate;
    const perType = fates.get(e.type) ?? new Map<Fate, number>();
    perType.set(fate, (perType.get(fate) ?? 0) + 1);
    fates.set(e.type, perType);
    const loose = world.toggled.has(e.type) || world.toggledSources.has(e.source);
    const got = received.get(e.id) ?? [];
    if (fate === 'waiting' || fate === 'in_flight') problems.push(`${e.id} (${e.type}): ${fate} after settling`);
    if (!loose && fate === 'delivered' && got.length === 0) {
      problems.push(`${e.id} (${e.type}, user ${e.user}, ${e.platform}): traced delivered, never received`);
    }
    if (fate === 'skipped' && e.user !== null) problems.push(`${e.id}: skipped though it has a user`);
    if (
      !loose &&
      world.crashes === 0 &&
      got.some((g) => g.acked) &&
      fate !== 'delivered' &&
      fate !== 'delivered_or_dropped' &&
      fate !== 'no_feed' &&
      // A replay may have had it refused since: the trace shows that dead letter.
      !(fate === 'dead_lettered' && world.replays > 0)
    ) {
      problems.push(`${e.id}: mParticle accepted it, the trace says ${fate}`);
    }
    if (!world.everSelected.has(e.type) && got.length > 0) problems.push(`${e.id}: sent though never selected`);
  }

  // 4. Duplicates, per key and feed: find which feed id and generation made each batch id.
  const feedIds = new Set<string>();
  for (const c of await world.ingest.getCursors(EXPORT_ID)) feedIds.add(c.feed.replace(/^~/, ''));
  for (const f of world.feedsSeen) feedIds.add(f);
  const seenIds = new Map<string, Set<string>>();
  const had = new Map<string, Set<string>>();
  for (const r of world.mp.receipts) {
    const origin = originOf(r.id, r.eventIds, feedIds, world.replays);
    // A replay sends again on purpose (its generation makes new ids): duplicates count within one generation.
    const scope = `${r.key}\u0000${origin?.feed ?? '?'}\u0000${origin?.generation ?? '?'}`;
    const ids = seenIds.get(scope) ?? new Set<string>();
    const events = had.get(scope) ?? new Set<string>();
    const dup = r.eventIds.some((id) => events.has(id));
    if (dup && !ids.has(r.id)) {
      problems.push(
        `duplicate of ${r.eventIds.join(',')} under ${r.key} (${origin === null ? 'unknown origin' : `feed ${origin.feed}`}) with a new source_request_id ${r.id}`,
      );
    }
    ids.add(r.id);
    for (const id of r.eventIds) events.add(id);
    seenIds.set(scope, ids);
    had.set(scope, events);
  }

  // 5. Totals.
  const counters = await world.ingest.getCounters(EXPORT_ID);
  const counted = (type: string, outcome: Outcome) =>
    counters.filter((c) => c.type === type && c.outcome === outcome).reduce((n, c) => n + c.count, 0);
  for (const type of TYPES) {
    if (world.toggled.has(type) || world.toggledSources.size > 0) continue;
    const f = fates.get(type) ?? new Map<Fate, number>();
    const traced = (fate: Fate) => f.get(fate) ?? 0;
    const pairs: [string, number, number][] = [
      [
        'delivered+dropped',
        counted(type, 'delivered') + counted(type, 'dropped'),
        traced('delivered') + traced('delivered_or_dropped'),
      ],
      ['dead_lettered', counted(type, 'dead_lettered'), traced('dead_lettered')],
      ['skipped', counted(type, 'skipped'), traced('skipped')],
    ];
    for (const [what, store, trace] of pairs) {
      const ok = world.replays === 0 ? store === trace : store >= trace;
      if (!ok) problems.push(`${type}: the store counts ${what} ${store}, the traces ${trace}`);
    }
  }
  for (const c of counters) {
    if (c.count < 0) problems.push(`negative counter ${JSON.stringify(c)}`);
  }
  for (const type of TYPES) {
    for (const outcome of ['delivered', 'skipped', 'dropped'] as const) {
      if (world.observedCount(type, outcome) !== counted(type, outcome)) {
        problems.push(
          `${type} ${outcome}: metrics say ${world.observedCount(type, outcome)}, the store ${counted(type, outcome)}`,
        );
      }
    }
  }

  // 6. Errors.
  for (const e of world.errors) problems.push(`logged: ${e}`);

  // 7. One notice per hold and per resume: holds and resumes alternate per feed.
  const perFeed = new Map<string, string[]>();
  for (const n of world.notices) {
    if (n.kind === 'dropped') continue;
    const list = perFeed.get(n.feed) ?? [];
    list.push(n.kind);
    perFeed.set(n.feed, list);
  }
  for (const [feed, kinds] of perFeed) {
    for (let i = 1; i < kinds.length; i++) {
      if (kinds[i] === kinds[i - 1]) problems.push(`${feed}: two "${kinds[i]}" notices in a row`);
    }
  }

  if (problems.length > 0 && process.env.MODEL_DEBUG) {
    console.log(
      JSON.stringify(
        world.mp.receipts.map((r) => ({ ...r, origin: originOf(r.id, r.eventIds, feedIds, world.replays) })),
      ),
    );
  }
  if (problems.length > 0) throw new Error(`${problems.length} problem(s):\n${problems.slice(0, 12).join('\n')}`);
}

function originOf(
  id: string,
  eventIds: string[],
  feeds: Set<string>,
  replays: number,
): { feed: string; generation: number } | null {
  for (const feed of feeds) {
    for (let generation = 0; generation <= replays; generation++) {
      if (sourceRequestId(feed, eventIds, generation) === id) return { feed, generation };
    }
  }
  return null;
}
