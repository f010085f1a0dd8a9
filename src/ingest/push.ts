import { eventType } from '../catalog/catalog.js';
import { validateEvent } from '../catalog/validate.js';
import type { NewEvent, NewQuarantine } from '../types.js';
import { validatorVersion } from './validator.js';
import type { Lacking } from './missing.js';
import { flatten, toNewEvent } from './normalize.js';

/**
 * The body of Braze's Custom HTTP Currents connector, `{"events":[...]}`, already parsed from JSON. One bad event
 * never fails the rest: it is quarantined with its index, and the valid ones go on to the log.
 */

export type PushResult =
  | { ok: false; status: 400 | 413; error: string }
  | {
      ok: true;
      events: NewEvent[];
      /** `eventIndexes[i]` is the index in the request's `events` array of `events[i]`. */
      eventIndexes: number[];
      quarantined: NewQuarantine[];
      rejected: { index: number; reason: string }[];
      /** Accepted events that lack catalog fields (`at` indexes `events`); only those, so usually empty. */
      lacking: Lacking[];
    };

export interface PushContext {
  requestId: string;
  receivedAt: number;
  partitions: number;
  maxEvents: number;
  /** The source the events are filed under. */
  source: string;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The event's type when it names a catalog type, for counting quarantine by type. */
export function knownTypeOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const type = (value as Record<string, unknown>).event_type;
  return typeof type === 'string' && eventType(type) !== undefined ? type : null;
}

export function parsePush(body: unknown, ctx: PushContext): PushResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      status: 400,
      error: `expected a JSON object {"events": [...]} (Braze Currents HTTP format), got ${kindOf(body)}`,
    };
  }
  const list = (body as Record<string, unknown>).events;
  if (!Array.isArray(list)) {
    const got = list === undefined ? 'no "events" field' : `"events" is ${kindOf(list)}`;
    return {
      ok: false,
      status: 400,
      error: `expected a JSON object {"events": [...]} with an array of Currents events, got ${got}`,
    };
  }
  if (list.length > ctx.maxEvents) {
    return {
      ok: false,
      status: 413,
      error:
        `the request carries ${list.length} events; the limit is ${ctx.maxEvents} per request: ` +
        `split it into requests of at most ${ctx.maxEvents} events, ` +
        'or raise the limit with --max-events (CURRENTS_MAX_EVENTS_PER_REQUEST)',
    };
  }

  const events: NewEvent[] = [];
  const eventIndexes: number[] = [];
  const quarantined: NewQuarantine[] = [];
  const rejected: { index: number; reason: string }[] = [];
  const lacking: Lacking[] = [];
  for (let index = 0; index < list.length; index++) {
    const item: unknown = list[index];
    let reason: string;
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const checked = validateEvent(flatten(item as Record<string, unknown>));
      if (checked.ok) {
        if (checked.missing.length > 0) {
          lacking.push({ at: events.length, type: checked.event.event_type, fields: checked.missing });
        }
        events.push(toNewEvent(checked.event, ctx.receivedAt, ctx.partitions, ctx.source));
        eventIndexes.push(index);
        continue;
      }
      reason = checked.reason;
    } else {
      reason = `events[${index}] must be a JSON object (a Currents event), got ${kindOf(item)}`;
    }
    rejected.push({ index, reason });
    quarantined.push({
      reason,
      source: { kind: 'http', requestId: ctx.requestId, index, of: list.length, sourceId: ctx.source },
      raw: JSON.stringify(item) ?? String(item),
      eventType: knownTypeOf(item),
      receivedAt: ctx.receivedAt,
      validator: validatorVersion(),
    });
  }
  return { ok: true, events, eventIndexes, quarantined, rejected, lacking };
}
