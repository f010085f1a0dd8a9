import { EVENT_TYPES } from '../catalog/catalog.js';
import { DEFAULT_SOURCE, type AppPlatform, type CurrentsEvent, type NewEvent } from '../types.js';

/**
 * From an incoming event to a log row: the flat form, the partition, and the columns exports filter on.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32 bit) over the key's UTF-8 bytes, modulo the partition count. Stable across processes, versions and
 * languages, so one user always lands in the same partition.
 */
export function partitionOf(userKey: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer (got ${partitions}): check the store settings`);
  }
  let hash = FNV_OFFSET;
  for (let i = 0; i < userKey.length; i++) {
    let code = userKey.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, FNV_PRIME);
      continue;
    }
    // Hash the UTF-8 bytes, not UTF-16 units, so another implementation of the same rule agrees.
    if (code >= 0xd800 && code < 0xdc00 && i + 1 < userKey.length) {
      const low = userKey.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), FNV_PRIME);
    } else if (code < 0x10000) {
      hash = Math.imul(hash ^ (0xe0 | (code >> 12)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
    } else {
      hash = Math.imul(hash ^ (0xf0 | (code >> 18)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
    }
    hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
  }
  return (hash >>> 0) % partitions;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Types with a catalog field literally named `properties` (custom events and purchases: their own properties). */
const OWN_PROPERTIES_FIELD = new Set(
  EVENT_TYPES.filter((t) => t.fields.some((f) => f.name === 'properties')).map((t) => t.name),
);

/**
 * The HTTP form `{event_type, id, time, user: {...}, properties: {...}}` to the flat storage form; a flat event
 * passes through unchanged (same object). Top-level fields win over `user`, `user` over `properties`.
 *
 * Custom events and purchases have a flat field named `properties` (their own properties as JSON text); when it
 * arrives as an object it is written as JSON text, the form the storage files use.
 */
export function flatten(event: Record<string, unknown>): Record<string, unknown> {
  const user = event.user;
  const props = event.properties;
  const type = event.event_type;
  const userIsObject = isPlainObject(user);
  const propsIsObject = isPlainObject(props);
  const ownsProperties = typeof type === 'string' && OWN_PROPERTIES_FIELD.has(type);
  if (!userIsObject && !(propsIsObject && !ownsProperties)) {
    return propsIsObject ? { ...event, properties: JSON.stringify(props) } : event;
  }
  // Spreads are V8's fast path for copying objects (this runs for every pushed event), and they define `__proto__`
  // as a plain field rather than setting the prototype. The first three keys only fix the payload's field order.
  const flat: Record<string, unknown> = {
    event_type: type,
    id: event.id,
    time: event.time,
    ...(propsIsObject ? props : undefined),
    ...(userIsObject ? user : undefined),
  };
  for (const key in event) {
    if (key === 'user' || key === 'properties') continue;
    if (key === '__proto__') Object.defineProperty(flat, key, { value: event[key], enumerable: true, writable: true });
    else flat[key] = event[key];
  }
  if (!userIsObject && user !== undefined) flat.user = user;
  if (ownsProperties && isPlainObject(flat.properties)) flat.properties = JSON.stringify(flat.properties);
  return flat;
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The user an event belongs to, for partitioning: the most stable identity it carries, else the event itself. */
export function partitionKeyOf(event: CurrentsEvent): string {
  return (
    nonEmptyString(event.external_user_id) ??
    nonEmptyString(event.user_id) ??
    nonEmptyString(event.device_id) ??
    event.id
  );
}

function appPlatformOf(event: CurrentsEvent, appId: string | null): AppPlatform | null {
  if (appId === null || typeof event.platform !== 'string') return null;
  const platform = event.platform.toLowerCase();
  return platform === 'ios' || platform === 'android' || platform === 'web' ? platform : null;
}

/** A validated event as a row for the log, filed under the source it came from. */
export function toNewEvent(
  event: CurrentsEvent,
  receivedAt: number,
  partitions: number,
  source: string = DEFAULT_SOURCE,
): NewEvent {
  const appId = nonEmptyString(event.app_id);
  return {
    eventId: event.id,
    type: event.event_type,
    partition: partitionOf(partitionKeyOf(event), partitions),
    externalUserId: nonEmptyString(event.external_user_id),
    platform: appPlatformOf(event, appId),
    appId,
    time: event.time,
    receivedAt,
    payload: JSON.stringify(event),
    source,
  };
}
