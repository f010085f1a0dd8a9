import { passedBefore } from '../../delivery/chunk.js';
import { isRetired } from '../../delivery/regroup.js';
import { snapshotOf } from '../../delivery/snapshot.js';
import { deliveryGaps, HISTORICAL_AGE_MS, mapEvent, routeSlot } from '../../mparticle/index.js';
import type { Store } from '../../store/port.js';
import type { CurrentsEvent, Cursor, ExportRecord, LogRow } from '../../types.js';

/**
 * What became of one logged event in each export, read from the store alone (every process answers the same):
 * the feed it is routed to, where that feed's cursor stands in its partition, and what the export recorded.
 *
 * Fates, in the order they are decided:
 * - `source_not_selected`: the export takes events from other sources only;
 * - `not_selected`: the export does not send this type; `test_of_other_export`: a test event another export sent;
 * - `before_start`: logged before the export's starting position, and no replay covers it (one over its time sends
 *   it; when one does, the rest follows that replay's cursors, and the messages name it);
 * - `no_feed`: routed to a slot without credentials; `skipped`: no external user id (never sent);
 * - after the cursor: `waiting` (with the feed's state: flowing, paused, or held with its drop deadline) or
 *   `in_flight` (in the chunk being sent);
 * - at or before the cursor: `dead_lettered` (mParticle or the schema check refused its batch), `delivered`, or
 *   `delivered_or_dropped` when a drop of its feed and type covers its time (drops are recorded per type and time
 *   range, not per event).
 */
export type Fate =
  | 'source_not_selected'
  | 'not_selected'
  | 'test_of_other_export'
  | 'before_start'
  | 'no_feed'
  | 'skipped'
  | 'waiting'
  | 'in_flight'
  | 'dead_lettered'
  | 'delivered'
  | 'delivered_or_dropped';

export interface ExportTrace {
  export_id: string;
  export_name: string;
  fate: Fate;
  /** A sentence for a person: what happened and, when something is wrong, what to do. */
  message: string;
  feed: string | null;
  cursor: number | null;
  /** When the event is held by refused credentials: when it starts being dropped. */
  drop_deadline: string | null;
  dead_letters: { id: number; status: number | null; error: string; created_at: string }[];
  /** The mParticle event and envelope this export maps it to, with its settings as they are now. */
  mparticle: { envelope: unknown; event: unknown } | null;
}

export interface EventTrace {
  event_id: string;
  log: {
    seq: number;
    partition: number;
    /** The source it came from, and that source's name (null when the source was deleted since). */
    source: string;
    source_name: string | null;
    type: string;
    time: string;
    received_at: string;
    external_user_id: string | null;
    platform: string | null;
    app_id: string | null;
  };
  event: unknown;
  exports: ExportTrace[];
}

export async function traceEvent(row: LogRow, store: Store, now: number): Promise<EventTrace> {
  const event = JSON.parse(row.payload) as CurrentsEvent;
  const [records, source] = await Promise.all([store.listExports(), store.getSource(row.source)]);
  return {
    event_id: row.eventId,
    log: {
      seq: row.seq,
      partition: row.partition,
      source: row.source,
      source_name: source?.name ?? null,
      type: row.type,
      time: iso(row.time * 1000),
      received_at: iso(row.receivedAt),
      external_user_id: row.externalUserId,
      platform: row.platform,
      app_id: row.appId,
    },
    event,
    exports: await Promise.all(records.map((r) => traceIn(r, row, event, store, now))),
  };
}

async function traceIn(
  record: ExportRecord,
  row: LogRow,
  event: CurrentsEvent,
  store: Store,
  now: number,
): Promise<ExportTrace> {
  const snapshot = snapshotOf(record);
  const mapped = mapEvent(event, snapshot.settings);
  const base = {
    export_id: record.id,
    export_name: record.name,
    feed: null,
    cursor: null,
    drop_deadline: null,
    dead_letters: [],
    mparticle: mapped.kind === 'event' ? { envelope: mapped.envelope, event: mapped.event } : null,
  };
  const say = (fate: Fate, message: string, more: Partial<ExportTrace> = {}): ExportTrace => ({
    ...base,
    fate,
    message,
    ...more,
  });

  if (record.sources !== undefined && !record.sources.includes(row.source)) {
    return say(
      'source_not_selected',
      `it came from source ${row.source}, and this export takes events from ${record.sources.join(', ')} only; ` +
        "add the source to the export's sources to send its events from now on (a replay sends those already logged)",
    );
  }
  if (!record.events.includes(row.type)) return say('not_selected', `this export does not send ${row.type} events`);
  const testOf = event.currents_test_export_id;
  if (typeof testOf === 'string' && testOf !== record.id) {
    return say('test_of_other_export', `a test event sent for export ${testOf}: other exports ignore it`);
  }
  // Logged before the export started: only a replay over its time reaches it (the latest such replay counts).
  const replay =
    row.seq > record.startSeq
      ? undefined
      : (await store.listReplays(record.id))
          .filter((r) => r.fromTime <= row.time && row.time <= r.toTime && row.seq <= r.uptoSeq)
          .sort((a, b) => b.generation - a.generation)[0];
  if (row.seq <= record.startSeq && replay === undefined) {
    return say(
      'before_start',
      `logged before this export started reading (log position ${record.startSeq}); a replay over its time sends it`,
    );
  }
  const generation = replay?.generation ?? 0;
  const by = replay === undefined ? '' : ` (by replay ${replay.generation})`;
  const slot = routeSlot(row.platform, snapshot.configured);
  const plan = snapshot.plans.find((p) => p.slots.includes(slot));
  const [cursors, states] = await Promise.all([store.getCursors(record.id), store.getFeedStates(record.id)]);
  const here = (c: Cursor) => c.partition === row.partition && c.generation === generation;
  if (plan === undefined) {
    // A feed removed since may have given it its fate before: its retired cursor knows what it had passed.
    const carried = cursors.find((c) => isRetired(c.feed) && here(c) && passedBefore(row, c.passed));
    if (carried === undefined) {
      const gap = deliveryGaps([row.type], snapshot.configured)[0];
      return say('no_feed', gap?.warning ?? `it goes to the ${slot} feed, which has no key`);
    }
  }
  const feedId = plan?.id ?? slot;
  if (mapped.kind === 'skipped') {
    return say(
      'skipped',
      mapped.reason === 'no_external_user_id'
        ? 'not sent: it has no external_user_id, the identity mParticle needs (counted as skipped)'
        : `not sent: ${row.type} has no mParticle mapping`,
      { feed: feedId },
    );
  }

  const cursor = cursors.find((c) => c.feed === plan?.id && here(c));
  const at = { feed: feedId, cursor: cursor?.seq ?? (replay === undefined ? record.startSeq : null) };
  // A finished replay's cursors are gone: it read everything it covered. In the chunk in flight, an event whose fate
  // is recorded is passed; so is one a feed this cursor replaced (credentials regrouped) had dealt with, and one a
  // removed feed had passed.
  const passed =
    replay?.finishedAt != null ||
    plan === undefined ||
    (cursor !== undefined &&
      (cursor.seq >= row.seq ||
        (cursor.inflight !== null && row.seq <= cursor.inflight.to && cursor.inflight.done.includes(row.seq)) ||
        passedBefore(row, cursor.passed)));
  if (!passed) {
    // A held or paused feed holds the chunk it was sending too.
    const state = states[feedId];
    if (record.state === 'paused') return say('waiting', 'waiting: the export is paused; resume it to send', at);
    if (state?.phase === 'credentials_rejected') {
      const deadline = Math.max(row.receivedAt, state.heldSince ?? now) + snapshot.holdWindowMs;
      return say(
        'waiting',
        `held: mParticle refuses the ${feedId} feed's credentials; it is dropped at ${iso(deadline)} unless they ` +
          'are fixed before (update the key and secret of the export)',
        { ...at, drop_deadline: iso(deadline) },
      );
    }
    if (cursor?.inflight && row.seq <= cursor.inflight.to) {
      return say('in_flight', `being sent now${by}: it is in the chunk the feed is sending`, at);
    }
    return say('waiting', `waiting to be sent${by}: the ${feedId} feed has not reached it yet`, at);
  }

  const letters = await store.listDeadLetters(record.id, { limit: 20, eventId: row.eventId });
  if (letters.length > 0) {
    return say('dead_lettered', `not delivered: its batch was refused (${letters[0]!.error}); retry the dead letter`, {
      ...at,
      dead_letters: letters.map((d) => ({
        id: d.id,
        status: d.status,
        error: d.error,
        created_at: iso(d.createdAt),
      })),
    });
  }
  // Each lane records its own drops: add up those of the feed and type whose time range covers the event.
  // (Of any feed: a feed the event's feed replaced may have dropped it.)
  const drops = (await store.listDrops(record.id)).filter(
    (d) => d.type === row.type && d.firstTime <= row.time && row.time <= d.lastTime,
  );
  if (drops.length > 0) {
    const count = drops.reduce((n, d) => n + d.count, 0);
    return say(
      'delivered_or_dropped',
      `sent or dropped: the ${feedId} feed dropped ${count} ${row.type} events with times around this one's ` +
        `(${drops[0]!.reason}); drops are recorded per type and time range, so it may be among them`,
      at,
    );
  }
  // Older than 30 days when it arrived, so also when it was sent: it went to the historical endpoint.
  const historical =
    row.time * 1000 < row.receivedAt - HISTORICAL_AGE_MS
      ? '; it was older than 30 days, so it went to /v2/bulkevents/historical: mParticle keeps it but does not forward it to its outputs'
      : '';
  return say(
    'delivered',
    `delivered${by}: mParticle accepted the request that carried it (${feedId} feed)${historical}`,
    at,
  );
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
