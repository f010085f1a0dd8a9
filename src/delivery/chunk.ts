import { buildBatches, notStringFields, packRequests, type BuildResult, type OutBatch } from '../mparticle/index.js';
import type { CurrentsEvent, Inflight, LogRow, PackSettings, PassedRule, Transformation } from '../types.js';
import { idOf } from './send.js';
import type { ExportSnapshot } from './snapshot.js';
import { Tally } from './tally.js';

/**
 * Planning one chunk of a lane: which batches to send now, and what the chunk's in-flight record says.
 *
 * A chunk's record (`Inflight`) keeps the settings it was packed under and the events already given a fate, so the
 * plan is always made from what is known, never from a count of requests of some earlier packing:
 * - a new chunk is packed under the export's settings now;
 * - a chunk in flight whose settings are unchanged is packed again the same way (the same batches, the same
 *   source_request_ids) and its batches already done are left out;
 * - a chunk in flight whose settings changed (an edit while it was paused, held or crashed) first sends again, as
 *   they were, the batches mParticle may have (`unsure`), so that it recognises them; then everything not done is
 *   packed afresh under the new settings. Nothing is skipped: an event leaves the chunk only with its fate.
 */
export interface ChunkPlan {
  /** The batches to send in this step, in order. */
  batches: OutBatch[];
  /**
   * Fates given without sending (skipped, refused as invalid or too large), recorded when every batch has its own
   * and the cursor moves past the chunk. Null when this step only resends batches mParticle may have: the chunk stays
   * in flight and is planned again.
   */
  closing: Tally | null;
  /** The chunk's record this step works under. */
  inflight: Inflight;
  /** The record must be written (with `unsure` null) before anything is sent. */
  persist: boolean;
  /** Batches of this plan that mParticle may already have from before this step. */
  carried: Set<string>;
  /**
   * Events of this plan's batches that the feed no longer carries (a regroup gave their platform to another feed
   * while the chunk was in flight): they go out only inside a batch resent as it was, so that mParticle recognises
   * it; their fate is given and counted by the feed that carries them now, never here too.
   */
  foreign: ReadonlySet<number>;
}

export interface ChunkInput {
  exportId: string;
  feedId: string;
  generation: number;
  /** The chunk's rows (cursor, to], of any type, without those passed by replaced feeds or foreign test events. */
  rows: readonly LogRow[];
  to: number;
  stored: Inflight | null;
  current: PackSettings;
  /** The fingerprint of the key the feed sends under now (`keyTag`), kept with a new chunk. */
  key: string;
  now: number;
}

export function packSettingsOf(snapshot: ExportSnapshot, feedId: string): PackSettings {
  const { platformsIn, platformsNotIn } = snapshot.readFilter(feedId);
  return {
    platforms: {
      ...(platformsIn === undefined ? {} : { platformsIn: [...platformsIn] }),
      ...(platformsNotIn === undefined ? {} : { platformsNotIn: [...platformsNotIn] }),
    },
    types: [...snapshot.types].sort(),
    environment: snapshot.settings.environment,
    identity: snapshot.settings.identity,
    eventNames: Object.fromEntries(Object.entries(snapshot.settings.eventNames).sort(([a], [b]) => a.localeCompare(b))),
    merge: snapshot.record.mergeBatches,
    ...(snapshot.sources === undefined ? {} : { sources: [...snapshot.sources].sort() }),
    ...(snapshot.settings.transformations === undefined
      ? {}
      : { transformations: snapshot.settings.transformations.map((t) => ({ field: t.field, action: t.action })) }),
  };
}

/** Whether two settings pack the same rows into the same batches. */
export function samePacking(a: PackSettings, b: PackSettings): boolean {
  return (
    a.merge === b.merge &&
    a.environment === b.environment &&
    a.identity === b.identity &&
    a.types.length === b.types.length &&
    a.types.every((t, i) => b.types[i] === t) &&
    JSON.stringify(a.sources ?? null) === JSON.stringify(b.sources ?? null) &&
    JSON.stringify(a.platforms ?? null) === JSON.stringify(b.platforms ?? null) &&
    JSON.stringify(sortedEntries(a.eventNames)) === JSON.stringify(sortedEntries(b.eventNames)) &&
    sameTransformations(a.transformations ?? [], b.transformations ?? [])
  );
}

/**
 * Transformations change what the batches carry, not which events they hold (their source_request_id stays), so a
 * changed list must be planned like any changed setting. Fields are listed once each, so their order does not matter.
 */
function sameTransformations(a: readonly Transformation[], b: readonly Transformation[]): boolean {
  const key = (list: readonly Transformation[]) =>
    list
      .map((t) => `${t.field}\u0000${t.action}`)
      .sort()
      .join('\u0001');
  return key(a) === key(b);
}

const sortedEntries = (o: Record<string, string>): [string, string][] =>
  Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

/** The row already has its fate through a feed this cursor replaced. */
export function passedBefore(row: LogRow, rules: readonly PassedRule[]): boolean {
  for (const rule of rules) {
    if (!matchesPlatform(row.platform, rule)) continue;
    if (row.seq <= rule.seq || rule.done.includes(row.seq)) return true;
  }
  return false;
}

function matchesPlatform(platform: string | null, f: Omit<PassedRule, 'seq' | 'done'>): boolean {
  const inList = f.platformsIn !== undefined && platform !== null && f.platformsIn.includes(platform);
  const notIn = f.platformsNotIn !== undefined && (platform === null || !f.platformsNotIn.includes(platform));
  if (f.platformsIn === undefined && f.platformsNotIn === undefined) return true;
  return inList || notIn;
}

type Built = BuildResult & { notString: Map<string, number> };

export function planChunk(input: ChunkInput): ChunkPlan {
  const parsed = new Map<number, CurrentsEvent>();
  const build = (
    settings: PackSettings,
    at: number,
    leaveOut: ReadonlySet<number>,
    after = -1,
    feedId = input.feedId,
  ): Built => {
    const types = new Set(settings.types);
    const sources = settings.sources === undefined ? null : new Set(settings.sources);
    const platforms = settings.platforms ?? input.current.platforms ?? {};
    const events: { seq: number; event: CurrentsEvent }[] = [];
    for (const row of input.rows) {
      if (row.seq <= after || !types.has(row.type) || leaveOut.has(row.seq)) continue;
      if (sources !== null && !sources.has(row.source)) continue;
      if (!matchesPlatform(row.platform, platforms)) continue;
      let event = parsed.get(row.seq);
      if (event === undefined) {
        event = JSON.parse(row.payload) as CurrentsEvent;
        parsed.set(row.seq, event);
      }
      events.push({ seq: row.seq, event });
    }
    const transformations = settings.transformations ?? [];
    const notString = new Map<string, number>();
    if (transformations.length > 0) {
      for (const { event } of events) {
        for (const field of notStringFields(event, transformations))
          notString.set(field, (notString.get(field) ?? 0) + 1);
      }
    }
    const built = buildBatches(events, {
      settings: {
        environment: settings.environment,
        identity: settings.identity,
        eventNames: settings.eventNames,
        ...(transformations.length > 0 ? { transformations } : {}),
      },
      merge: settings.merge,
      feedId,
      generation: input.generation,
      now: at,
    });
    return Object.assign(built, { notString });
  };
  const closingOf = (built: Built, at: number): Tally => {
    const closing = new Tally(input.exportId, input.feedId);
    // Counted with the chunk's other figures, once, when its cursor moves past it.
    for (const [field, n] of built.notString) closing.count(field, 'not_string', n);
    for (const s of built.skipped) closing.count(s.type, 'skipped');
    for (const refused of [...built.invalid, ...built.tooLarge]) {
      closing.deadLetter(refused.batch, null, `not sent: ${refused.error}`, at, 0);
    }
    return closing;
  };
  const fresh = (done: readonly number[]): ChunkPlan => {
    const built = build(input.current, input.now, new Set(done));
    return {
      batches: built.batches,
      closing: closingOf(built, input.now),
      inflight: {
        to: input.to,
        at: input.now,
        plan: { settings: input.current, exclude: [...done] },
        done: [...done],
        unsure: null,
        legacyDone: 0,
        key: input.key,
      },
      persist: built.batches.length > 0,
      carried: new Set(),
      foreign: new Set(),
    };
  };

  let stored = input.stored;
  if (stored === null) return fresh([]);
  let persist = false;
  if (stored.plan === null) {
    // Recorded by a version that counted requests: its packing is taken to be today's settings.
    const built = build(input.current, stored.at, new Set());
    const done = packRequests(built.batches)
      .slice(0, stored.legacyDone)
      .flatMap((r) => r.batches.flatMap((b) => b.seqs));
    stored = { ...stored, plan: { settings: input.current, exclude: [] }, done, unsure: null, legacyDone: 0 };
    persist = true;
  }
  const plan = stored.plan!;
  const done = new Set(stored.done);
  // A chunk handed over from a feed with another id keeps that feed's source_request_ids (regroup.ts).
  const built = build(plan.settings, stored.at, new Set(plan.exclude), plan.after, stored.feed);
  const current = input.current.platforms ?? {};
  const foreign = new Set(input.rows.filter((r) => !matchesPlatform(r.platform, current)).map((r) => r.seq));
  // A batch of only events another feed carries now is that feed's to send; one that mixes them is resent whole.
  const pending = built.batches.filter((b) => b.seqs.some((s) => !done.has(s) && !foreign.has(s)));
  const mayHave = stored.unsure === null ? null : new Set(stored.unsure);
  const carried = new Set(pending.map(idOf).filter((id) => mayHave === null || mayHave.has(id)));

  // A carried chunk's plan does not cover the rows before `after`: like changed settings, the rest is planned anew.
  if (plan.after === undefined && samePacking(plan.settings, input.current)) {
    // Sending batches outside the unsure list: a crash from here on may leave any of them at mParticle.
    const widens = mayHave !== null && pending.some((b) => !mayHave.has(idOf(b)));
    return {
      batches: pending,
      closing: closingOf(built, stored.at),
      inflight: { ...stored, unsure: widens ? null : stored.unsure },
      persist: persist || widens,
      carried,
      foreign,
    };
  }
  const resend = pending.filter((b) => carried.has(idOf(b)));
  if (resend.length > 0) {
    return { batches: resend, closing: null, inflight: stored, persist, carried, foreign };
  }
  return fresh(stored.done);
}
