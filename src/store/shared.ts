import { createHash, randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type {
  AppPlatform,
  Cursor,
  Inflight,
  LogRow,
  PassedRule,
  NewQuarantine,
  QuarantineRecord,
  QuarantineSource,
} from '../types.js';
import { StoreConfigError } from './errors.js';

/** What both adapters do the same way: their numbered migrations, quarantine and cursor rows, export-keyed tables. */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The `NNN_what.sql` files of a folder, in order; a gap or a repeated number is refused. */
export function loadMigrationFiles(dir: URL, engine: string): Migration[] {
  const found = readdirSync(dir)
    .map((name) => ({ name, match: /^(\d+)_[\w-]+\.sql$/.exec(name) }))
    .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
    .map(({ name, match }) => ({ version: Number(match[1]), name, sql: readFileSync(new URL(name, dir), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  // A gap or a repeated number would apply the wrong schema silently on some installations.
  found.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StoreConfigError(
        `${engine} migrations are misnumbered at ${m.name}: expected ${String(i + 1).padStart(3, '0')}_*.sql; reinstall the package`,
      );
    }
  });
  return found;
}

export interface QuarantineRow {
  id: number;
  reason: string;
  source: string;
  raw: string;
  event_type: string | null;
  received_at: number;
  validator: string | null;
  dismissed_at: number | null;
  dismissed_note: string | null;
}

export const QUARANTINE_COLUMNS =
  'id, reason, source, raw, event_type, received_at, validator, dismissed_at, dismissed_note';

export const toQuarantineRecord = (r: QuarantineRow): QuarantineRecord => ({
  id: r.id,
  reason: r.reason,
  source: JSON.parse(r.source) as QuarantineSource,
  raw: r.raw,
  eventType: r.event_type,
  receivedAt: r.received_at,
  validator: r.validator,
  dismissedAt: r.dismissed_at === null ? null : Number(r.dismissed_at),
  dismissedNote: r.dismissed_note,
});

/** Records from files are fingerprinted by where they came from and what they were; HTTP input is never merged. */
export function quarantineFingerprint(q: NewQuarantine): string | null {
  if (q.source.kind !== 'file') return null;
  const { path, offset, index } = q.source;
  return createHash('sha256')
    .update(JSON.stringify([path, offset, index ?? null, q.raw]))
    .digest('base64url');
}

/** Every table keyed by export: deleting an export empties its rows in all of them, releasing its hold on the log. */
export const KEYED_BY_EXPORT = [
  'cursors',
  'feed_states',
  'counters',
  'delivery_minutes',
  'dead_letters',
  'drops',
  'export_errors',
  'replays',
  'replay_counters',
  'leases',
] as const;

export interface CursorRow {
  export_id: string;
  feed: string;
  part: number;
  generation: number;
  seq: number;
  inflight_to: number | null;
  inflight_done: number;
  inflight_at: number | null;
  inflight_plan: string | null;
  passed: string | null;
  version: number;
}

/** The cursor columns both adapters select and write, in order. */
export const CURSOR_COLUMNS =
  'export_id, feed, part, generation, seq, inflight_to, inflight_done, inflight_at, inflight_plan, passed, version';

/** The cursor rows of a generation are exactly those expected, each at the version expected. */
export function sameVersions(
  rows: readonly { feed: string; part: number; version: number | string }[],
  expected: readonly { feed: string; partition: number; version: number }[],
): boolean {
  if (rows.length !== expected.length) return false;
  const want = new Map(expected.map((e) => [`${e.feed}\u0000${e.partition}`, e.version]));
  return rows.every((r) => want.get(`${r.feed}\u0000${r.part}`) === Number(r.version));
}

/** A new version token for a cursor row: random, so a row removed and written again never reuses one. */
export function newCursorVersion(): number {
  return randomInt(1, 2 ** 47);
}

interface StoredPlan {
  plan: Inflight['plan'];
  done: number[];
  unsure: string[] | null;
  key?: string;
  feed?: string;
}

/** The in-flight and passed columns of a cursor row: to, legacy done count, at, the plan as JSON, passed as JSON. */
export function cursorColumns(
  c: Pick<Cursor, 'inflight' | 'passed'>,
): [number | null, number, number | null, string | null, string | null] {
  const i = c.inflight;
  const passed = c.passed.length === 0 ? null : JSON.stringify(c.passed);
  if (i === null) return [null, 0, null, null, passed];
  const plan: StoredPlan = {
    plan: i.plan,
    done: i.done,
    unsure: i.unsure,
    ...(i.key === undefined ? {} : { key: i.key }),
    ...(i.feed === undefined ? {} : { feed: i.feed }),
  };
  return [i.to, i.legacyDone, i.at, JSON.stringify(plan), passed];
}

function inflightOf(r: CursorRow): Inflight | null {
  if (r.inflight_to === null) return null;
  const at = Number(r.inflight_at ?? 0);
  const to = Number(r.inflight_to);
  if (r.inflight_plan === null) {
    // Written by a version that counted done requests: the lane re-packs it under the current settings once.
    return { to, at, plan: null, done: [], unsure: null, legacyDone: r.inflight_done };
  }
  const stored = JSON.parse(r.inflight_plan) as StoredPlan;
  return {
    to,
    at,
    plan: stored.plan,
    done: stored.done,
    unsure: stored.unsure,
    legacyDone: r.inflight_done,
    ...(stored.key === undefined ? {} : { key: stored.key }),
    ...(stored.feed === undefined ? {} : { feed: stored.feed }),
  };
}

export const toCursor = (r: CursorRow): Cursor => ({
  exportId: r.export_id,
  feed: r.feed,
  partition: r.part,
  generation: r.generation,
  seq: Number(r.seq),
  inflight: inflightOf(r),
  passed: r.passed === null ? [] : (JSON.parse(r.passed) as PassedRule[]),
  version: Number(r.version),
});

/** How far the log is held, per partition: rows at or below a partition's hold may go (`other`: partitions not seen). */
export interface Holds {
  byPartition: Map<number, number>;
  other: number;
}

/**
 * The retention holds from the rows both adapters read: each export's start, its live cursors per partition, and the
 * unfinished replays' lowest cursors per partition.
 */
export function computeHolds(
  starts: readonly { id: string; start_seq: number | null }[],
  liveHolds: readonly { export_id: string; part: number; hold: number }[],
  replayHolds: readonly { part: number; hold: number }[],
): Holds {
  const startOf = new Map(starts.map((s) => [s.id, s.start_seq ?? 0]));
  // With no exports, age alone decides.
  const other = starts.length === 0 ? Infinity : Math.min(...startOf.values());
  const live = new Map<number, Map<string, number>>();
  for (const h of liveHolds) {
    const perExport = live.get(h.part) ?? new Map<string, number>();
    perExport.set(h.export_id, h.hold);
    live.set(h.part, perExport);
  }
  const byPartition = new Map<number, number>();
  for (const [part, perExport] of live) {
    // An export without a live cursor in this partition has not moved there: it holds from its startSeq.
    let hold = Infinity;
    for (const [id, start] of startOf) hold = Math.min(hold, perExport.get(id) ?? start);
    byPartition.set(part, hold);
  }
  for (const r of replayHolds) byPartition.set(r.part, Math.min(byPartition.get(r.part) ?? other, r.hold));
  return { byPartition, other };
}

/** The log's columns, in the order reads select them. */
export const LOG_COLUMNS =
  'seq, event_id, type, part, external_user_id, platform, app_id, event_time, received_at, payload, source_key';

export interface LogRowColumns {
  seq: number;
  event_id: string;
  type: string;
  part: number;
  external_user_id: string | null;
  platform: string | null;
  app_id: string | null;
  event_time: number;
  received_at: number;
  payload: string;
  source_key: number;
}

/** A log row as the port gives it; `sourceOf` names the source of a key (see SourceKeys). */
export const toLogRow = (r: LogRowColumns, sourceOf: (key: number) => string): LogRow => ({
  seq: r.seq,
  eventId: r.event_id,
  type: r.type,
  partition: r.part,
  externalUserId: r.external_user_id,
  platform: r.platform as AppPlatform | null,
  appId: r.app_id,
  time: r.event_time,
  receivedAt: r.received_at,
  payload: r.payload,
  source: sourceOf(r.source_key),
});

/** A log row read as values in LOG_COLUMNS' order (a raw statement), as the port gives it. */
export const toLogRowFromValues = (v: readonly unknown[], sourceOf: (key: number) => string): LogRow => ({
  seq: v[0] as number,
  eventId: v[1] as string,
  type: v[2] as string,
  partition: v[3] as number,
  externalUserId: v[4] as string | null,
  platform: v[5] as AppPlatform | null,
  appId: v[6] as string | null,
  time: v[7] as number,
  receivedAt: v[8] as number,
  payload: v[9] as string,
  source: sourceOf(v[10] as number),
});
