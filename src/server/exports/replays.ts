import { snapshotOf } from '../../delivery/snapshot.js';
import type { BacklogQuery, Store } from '../../store/port.js';
import type { Cursor, ExportRecord, Outcome, Replay } from '../../types.js';
import { HttpError } from '../errors.js';
import type { ReplayPreview, ReplayState, ReplayView } from '../schemas/replays.js';

export type { ReplayPreview, ReplayState, ReplayView };

/**
 * Replays as people look at them: the range they ask for (checked, with a sentence per mistake), how many events the
 * log holds for it before they confirm, and each replay's progress. Everything is computed from the store alone
 * (cursors, the log, the replay's counters), so every process, the API and the CLI answer the same.
 */

/** A clock skew the "to" of a range may have over this process's clock. */
const FUTURE_SLACK_MS = 60_000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface TimeRange {
  /** UNIX seconds, inclusive. */
  fromTime: number;
  toTime: number;
}

/** One end of a range as given: an ISO 8601 time with its zone, or a date (midnight UTC). Null when it is not one. */
export function parseTime(text: string): number | null {
  const t = text.trim();
  if (!ISO_TIME.test(t) && !ISO_DATE.test(t)) return null;
  const ms = Date.parse(ISO_DATE.test(t) ? `${t}T00:00:00Z` : t);
  return Number.isNaN(ms) ? null : ms;
}

/** The range of a replay or a preview; `to` defaults to now. Throws a 400 saying what to change. */
export function parseRange(from: string | undefined, to: string | undefined, now: number): TimeRange {
  const fields: Record<string, string> = {};
  const read = (name: 'from' | 'to', text: string | undefined): number | null => {
    if (text === undefined || text.trim() === '') {
      if (name === 'to') return now;
      fields.from = 'give "from", the start of the time range to re-send, e.g. 2026-11-28T00:00:00Z';
      return null;
    }
    const ms = parseTime(text);
    if (ms === null) {
      fields[name] =
        `"${name}" must be a time with its zone such as 2026-11-28T09:30:00Z (or a date such as 2026-11-28); ` +
        `"${text}" is not one`;
    }
    return ms;
  };
  const fromMs = read('from', from);
  const toMs = read('to', to);
  if (toMs !== null && toMs > now + FUTURE_SLACK_MS) {
    fields.to =
      `"to" (${iso(toMs)}) is in the future: give a time up to now (${iso(now)}), ` +
      'or leave it out to re-send up to now; the log holds nothing later';
  } else if (fromMs !== null && toMs !== null && fromMs > toMs) {
    fields.from = `"from" (${iso(fromMs)}) is after "to" (${iso(toMs)}): give a range that starts before it ends`;
  }
  const problems = Object.values(fields);
  if (problems.length > 0) {
    throw new HttpError(400, 'invalid_request', `${problems.join('. ')}.`, { fields });
  }
  return { fromTime: Math.floor(fromMs! / 1000), toTime: Math.floor(Math.min(toMs!, now) / 1000) };
}

/** The reads of one replay lane (feed, partition), as the lane itself reads: the export's types, sources and routing. */
function laneQuery(
  snapshot: ReturnType<typeof snapshotOf>,
  feed: string,
  partition: number,
  afterSeq: number,
  range: TimeRange & { uptoSeq: number },
): BacklogQuery {
  return {
    partition,
    afterSeq,
    uptoSeq: range.uptoSeq,
    types: snapshot.types,
    fromTime: range.fromTime,
    toTime: range.toTime,
    ...snapshot.readFilter(feed),
  };
}

/** How many events a replay of this range would re-send, counted now. */
export async function previewReplay(
  store: Store,
  record: ExportRecord,
  range: TimeRange,
  partitions: number,
): Promise<ReplayPreview> {
  const snapshot = snapshotOf(record);
  const uptoSeq = await store.headSeq();
  const bounds = { ...range, uptoSeq };
  const parts = Array.from({ length: partitions }, (_, p) => p);
  const count = (q: BacklogQuery) => store.countBacklog(q).then((b) => b.events);
  const bySources = snapshot.sources === undefined ? {} : { sources: snapshot.sources };
  const held = await Promise.all(
    parts.map((partition) => count({ partition, afterSeq: 0, uptoSeq, types: snapshot.types, ...range, ...bySources })),
  );
  const routed = await Promise.all(
    snapshot.plans.flatMap((plan) => parts.map((p) => count(laneQuery(snapshot, plan.id, p, 0, bounds)))),
  );
  const events = sum(held);
  return {
    from: iso(range.fromTime * 1000),
    to: iso(range.toTime * 1000),
    events,
    no_feed: Math.max(0, events - sum(routed)),
    upto_seq: uptoSeq,
  };
}

/** Every replay of an export with its progress, oldest first. */
export async function listReplayViews(
  store: Store,
  record: ExportRecord,
  partitions: number,
  now: number,
): Promise<ReplayView[]> {
  const [replays, counts, cursors] = await Promise.all([
    store.listReplays(record.id),
    store.replayCounts(record.id),
    store.getCursors(record.id),
  ]);
  const snapshot = snapshotOf(record);
  return Promise.all(
    replays.map(async (r) => {
      const outcomes = { delivered: 0, skipped: 0, dead_lettered: 0, dropped: 0 };
      for (const c of counts)
        if (c.generation === r.generation && c.outcome in outcomes) outcomes[c.outcome as Kept] += c.count;
      const passed = outcomes.delivered + outcomes.skipped + outcomes.dead_lettered + outcomes.dropped;
      const position =
        r.finishedAt === null
          ? await cursorPosition(store, snapshot, r, cursors, partitions)
          : { events: passed, sent: passed };
      return view(r, outcomes, position, record.state === 'paused', now);
    }),
  );
}

type Kept = Exclude<Outcome, 'historical' | 'not_string'>;

/**
 * Where a running replay stands: per lane (feed, partition), the events of its range up to its end, and how many of
 * them lie at or before the lane's cursor. A lane without a cursor yet has sent nothing.
 */
async function cursorPosition(
  store: Store,
  snapshot: ReturnType<typeof snapshotOf>,
  replay: Replay,
  cursors: readonly Cursor[],
  partitions: number,
): Promise<{ events: number; sent: number }> {
  const lanes = snapshot.plans.flatMap((plan) =>
    Array.from({ length: partitions }, (_, partition) => ({ feed: plan.id, partition })),
  );
  const figures = await Promise.all(
    lanes.map(async ({ feed, partition }) => {
      const at = cursors.find(
        (c) => c.generation === replay.generation && c.feed === feed && c.partition === partition,
      );
      const all = await store.countBacklog(laneQuery(snapshot, feed, partition, 0, replay));
      if (at === undefined || at.seq <= 0 || all.events === 0) return { events: all.events, sent: 0 };
      const left = await store.countBacklog(laneQuery(snapshot, feed, partition, at.seq, replay));
      return { events: all.events, sent: all.events - left.events };
    }),
  );
  return { events: sum(figures.map((f) => f.events)), sent: sum(figures.map((f) => f.sent)) };
}

function view(
  r: Replay,
  outcomes: Record<Kept, number>,
  position: { events: number; sent: number },
  paused: boolean,
  now: number,
): ReplayView {
  const done = r.finishedAt !== null;
  const lost = outcomes.dead_lettered + outcomes.dropped;
  const state: ReplayState = !done ? 'running' : lost > 0 ? 'failed' : 'done';
  let message: string | null = null;
  if (!done && paused) message = 'The export is paused: this replay goes on when it is resumed.';
  else if (state === 'failed') {
    message =
      `${lost} of its events did not reach mParticle (${outcomes.dead_lettered} dead-lettered, ` +
      `${outcomes.dropped} dropped): see the dead letters and drops on this page.`;
  }
  return {
    generation: r.generation,
    from: iso(r.fromTime * 1000),
    to: iso(r.toTime * 1000),
    upto_seq: r.uptoSeq,
    state,
    events: position.events,
    sent: position.sent,
    percent: position.events === 0 ? (done ? 100 : 0) : Math.floor((100 * position.sent) / position.events),
    ...outcomes,
    started_at: iso(r.createdAt),
    finished_at: r.finishedAt === null ? null : iso(r.finishedAt),
    seconds: Math.max(0, Math.round(((r.finishedAt ?? now) - r.createdAt) / 1000)),
    message,
  };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
