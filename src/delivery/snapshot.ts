import { feedReadFilter, planFeeds, type FeedPlan, type MapSettings } from '../mparticle/index.js';
import { SLOTS, type ExportRecord, type Slot } from '../types.js';

/** An export's settings as delivery uses them, computed once per change of the record. */
export interface ExportSnapshot {
  readonly record: ExportRecord;
  readonly types: readonly string[];
  readonly settings: MapSettings;
  readonly holdWindowMs: number;
  /** Slots that have credentials. */
  readonly configured: readonly Slot[];
  readonly plans: readonly FeedPlan[];
  /** The sources the export takes events from; undefined: every source. */
  readonly sources: readonly string[] | undefined;
  /** The store's filter for a feed, by feed id: its platforms, and the export's sources. */
  readFilter(feedId: string): { platformsIn?: string[]; platformsNotIn?: string[]; sources?: readonly string[] };
}

export function snapshotOf(record: ExportRecord): ExportSnapshot {
  const configured = SLOTS.filter((s) => record.feeds[s] !== undefined);
  const plans = planFeeds(record.feeds);
  const sources = record.sources === undefined ? undefined : Object.freeze([...record.sources]);
  // Every read of a lane, a backlog count or a status goes through this filter, so the sources apply everywhere.
  const bySource = sources === undefined ? {} : { sources };
  const filters = new Map(plans.map((p) => [p.id, { ...feedReadFilter(p, configured), ...bySource }]));
  return Object.freeze({
    record,
    types: Object.freeze([...record.events]),
    settings: Object.freeze({
      environment: record.environment,
      identity: record.identity,
      eventNames: Object.freeze({ ...record.eventNames }),
      ...(record.transformations?.length ? { transformations: Object.freeze([...record.transformations]) } : {}),
    }),
    holdWindowMs: record.holdWindowHours * 3_600_000,
    configured,
    plans,
    sources,
    // A feed that no longer exists reads nothing (its lanes are being stopped).
    readFilter: (feedId: string) => filters.get(feedId) ?? { platformsIn: [], ...bySource },
  });
}
