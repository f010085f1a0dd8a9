import { eventType } from '../../catalog/catalog.js';
import { deliveryGaps, HISTORICAL_AGE_MS } from '../../mparticle/index.js';
import type { Store } from '../../store/port.js';
import type { Drop, ExportRecord, FeedState, FutureDated, Outcome } from '../../types.js';
import { snapshotOf } from '../../delivery/snapshot.js';
import { sourceFigures } from '../sources/status.js';
import { transformationStatus, transformationWarnings } from './transformations.js';

/**
 * The status of an export as the API and the dashboard show it, computed from the store alone so that every
 * process answers the same: per feed its state, backlog and hold; per event type what happened to its events.
 */
export async function exportStatus(record: ExportRecord, store: Store, now: number) {
  const snapshot = snapshotOf(record);
  const [cursors, states, counters, drops, deadLetters, errors, replays, leases, series, sources, received, ahead] =
    await Promise.all([
      store.getCursors(record.id),
      store.getFeedStates(record.id),
      store.getCounters(record.id),
      store.listDrops(record.id),
      store.countDeadLetters(record.id),
      store.listErrors(record.id, 20),
      store.listReplays(record.id),
      store.listLeases(record.id),
      store.deliverySeries(record.id, now - 2 * 60_000),
      store.listSources(),
      store.sourceTotals(),
      store.futureDated(),
    ]);
  /** What waits for this export, by source, over every feed and partition. */
  const waiting = new Map<string, { events: number; oldest: number | null }>();

  const feeds = await Promise.all(
    snapshot.plans.map(async (plan) => {
      const state: FeedState | undefined = states[plan.id];
      const live = cursors.filter((c) => c.feed === plan.id && c.generation === 0);
      const bySource = await Promise.all(
        live.map((c) =>
          store.countBacklogBySource({
            partition: c.partition,
            afterSeq: c.seq,
            types: snapshot.types,
            ...snapshot.readFilter(plan.id),
          }),
        ),
      );
      const backlog = bySource.map((counts) => {
        let events = 0;
        let oldestReceivedAt: number | null = null;
        for (const [source, b] of Object.entries(counts)) {
          events += b.events;
          oldestReceivedAt = minOf(oldestReceivedAt, b.oldestReceivedAt);
          const w = waiting.get(source) ?? { events: 0, oldest: null };
          waiting.set(source, { events: w.events + b.events, oldest: minOf(w.oldest, b.oldestReceivedAt) });
        }
        return { events, oldestReceivedAt };
      });
      const backlogEvents = backlog.reduce((n, b) => n + b.events, 0);
      const oldest = backlog
        .map((b) => b.oldestReceivedAt)
        .filter((t): t is number => t !== null)
        .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
      const phase = record.state === 'paused' ? 'paused' : (state?.phase ?? 'flowing');
      const heldSince = state?.heldSince ?? null;
      return {
        id: plan.id,
        slots: plan.slots,
        key: plan.key,
        state: phase,
        held_since: iso(heldSince),
        drop_deadline: heldSince === null ? null : iso(heldSince + snapshot.holdWindowMs),
        held_events: state?.phase === 'credentials_rejected' ? backlogEvents : 0,
        backlog_events: backlogEvents,
        oldest_waiting_at: Number.isFinite(oldest) ? iso(oldest) : null,
        last_delivery_at: iso(state?.lastDeliveryAt ?? null),
        last_probe_at: iso(state?.lastProbeAt ?? null),
        last_error: state?.lastError ?? null,
        rate_limit_percent_used: state?.rateLimitPercentUsed ?? null,
        partitions: live.map((c, i) => {
          const lease = leases.find((l) => l.feed === plan.id && l.partition === c.partition && l.expiresAt > now);
          return {
            partition: c.partition,
            cursor: c.seq,
            backlog_events: backlog[i]!.events,
            in_flight_to: c.inflight?.to ?? null,
            owner: lease?.owner ?? null,
            owner_since: iso(lease?.acquiredAt ?? null),
          };
        }),
      };
    }),
  );

  const perType = new Map<string, Record<Exclude<Outcome, 'not_string'>, number>>();
  for (const type of record.events) {
    perType.set(type, { delivered: 0, skipped: 0, dead_lettered: 0, dropped: 0, historical: 0 });
  }
  const notString = new Map<string, number>();
  for (const c of counters) {
    if (c.outcome === 'not_string') {
      notString.set(c.type, (notString.get(c.type) ?? 0) + c.count);
      continue;
    }
    const row = perType.get(c.type) ?? { delivered: 0, skipped: 0, dead_lettered: 0, dropped: 0, historical: 0 };
    row[c.outcome] += c.count;
    perType.set(c.type, row);
  }
  const eventTypes = [...perType].map(([type, n]) => ({
    type,
    mparticle_name: record.eventNames[type] ?? eventType(type)?.mparticle?.eventName ?? null,
    selected: record.events.includes(type),
    delivered: n.delivered,
    skipped_no_external_user_id: n.skipped,
    dead_lettered: n.dead_lettered,
    dropped: n.dropped,
    historical: n.historical,
  }));
  const totals = eventTypes.reduce(
    (t, e) => ({
      delivered: t.delivered + e.delivered,
      skipped: t.skipped + e.skipped_no_external_user_id,
      dead_lettered: t.dead_lettered + e.dead_lettered,
      dropped: t.dropped + e.dropped,
      historical: t.historical + e.historical,
    }),
    { delivered: 0, skipped: 0, dead_lettered: 0, dropped: 0, historical: 0 },
  );
  const lastMinute = series.filter((p) => p.minute >= now - 60_000 - (now % 60_000) && p.minute < now - (now % 60_000));
  const warnings = deliveryGaps(record.events, snapshot.configured).map((g) => g.warning);
  const taken = sources.filter((s) => snapshot.sources === undefined || snapshot.sources.includes(s.id));
  const workers = await Promise.all(taken.map((s) => store.getSourceStatus(s.id)));
  for (const s of taken.filter((x) => x.state === 'paused')) {
    warnings.push(`source ${s.id} (${s.name}) is paused: it takes no new events until it is resumed.`);
  }
  const futureDated = futureDatedOf(
    ahead.filter((f) => record.events.includes(f.type) && taken.some((t) => t.id === f.source)),
  );
  if (futureDated.events > 0) warnings.push(futureWarning(futureDated));
  if (totals.historical > 0) {
    warnings.push(
      `${totals.historical} events older than ${HISTORICAL_AGE_MS / 86_400_000} days went to mParticle's historical ` +
        'endpoint (/v2/bulkevents/historical): mParticle keeps them but does not forward historical data to its outputs.',
    );
  }
  warnings.push(...transformationWarnings(record));
  return {
    id: record.id,
    name: record.name,
    state: record.state,
    feeds,
    transformations: transformationStatus(record, notString),
    event_types: eventTypes,
    totals,
    events_per_second: Math.round(lastMinute.reduce((n, p) => n + p.count, 0) / 60),
    dead_letters: deadLetters,
    drops: aggregateDrops(drops),
    replays: replays.map((r) => ({
      generation: r.generation,
      from: iso(r.fromTime * 1000),
      to: iso(r.toTime * 1000),
      created_at: iso(r.createdAt),
      finished_at: iso(r.finishedAt),
    })),
    recent_errors: errors.map((e) => ({ feed: e.feed, message: e.message, at: iso(e.at) })),
    sources: taken.map((s, i) => {
      const w = waiting.get(s.id);
      return {
        id: s.id,
        name: s.name,
        kind: s.config.kind,
        state: s.state,
        ...sourceFigures(
          received.find((t) => t.source === s.id),
          workers[i]!,
          now,
        ),
        backlog_events: w?.events ?? 0,
        oldest_waiting_at: iso(w?.oldest ?? null),
      };
    }),
    all_sources: snapshot.sources === undefined,
    future_dated: futureDated,
    warnings,
  };
}

/** Future-dated events of the types and sources an export takes: how many, the newest, and by source and type. */
function futureDatedOf(rows: readonly FutureDated[]) {
  return {
    events: rows.reduce((n, r) => n + r.events, 0),
    newest_event_time: iso(rows.reduce<number | null>((t, r) => Math.max(t ?? 0, r.newestEventTime * 1000), null)),
    last_received_at: iso(rows.reduce<number | null>((t, r) => Math.max(t ?? 0, r.lastReceivedAt), null)),
    by_source_type: rows.map((r) => ({
      source: r.source,
      type: r.type,
      events: r.events,
      newest_event_time: iso(r.newestEventTime * 1000),
    })),
  };
}

function futureWarning(f: ReturnType<typeof futureDatedOf>): string {
  const sources = [...new Set(f.by_source_type.map((r) => r.source))].join(', ');
  const count = f.events === 1 ? '1 event was' : `${f.events.toLocaleString('en-US')} events were`;
  return (
    `${count} dated more than a day after receipt (the newest for ${f.newest_event_time}, from ` +
    `${sources}): they were kept and are sent with that time. Check the sender's clock, and that "time" is in ` +
    'UNIX seconds, not milliseconds.'
  );
}

const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * Drops as a person reads them: one line per feed, type and reason (each lane of a feed records its own, so a hold
 * that expired over 16 partitions would otherwise show 16 lines).
 */
function aggregateDrops(drops: Drop[]) {
  const lines = new Map<string, Drop>();
  for (const d of drops) {
    const key = `${d.feed}\u0000${d.type}\u0000${d.reason}`;
    const line = lines.get(key);
    if (line === undefined) lines.set(key, { ...d });
    else {
      line.count += d.count;
      line.firstTime = Math.min(line.firstTime, d.firstTime);
      line.lastTime = Math.max(line.lastTime, d.lastTime);
      line.droppedAt = Math.max(line.droppedAt, d.droppedAt);
    }
  }
  return [...lines.values()].map((d) => ({
    feed: d.feed,
    type: d.type,
    count: d.count,
    first_event_time: iso(d.firstTime * 1000),
    last_event_time: iso(d.lastTime * 1000),
    reason: d.reason,
    dropped_at: iso(d.droppedAt),
  }));
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
