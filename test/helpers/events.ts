import { randomUUID } from 'node:crypto';
import { sampleEvent } from '../../src/catalog/sample.js';

/**
 * Currents events for service tests, generated from the catalog: the flat storage form, and the nested form of
 * Braze's Custom HTTP connector (`user` holds the identity fields, `properties` the rest).
 */

const USER_FIELDS = new Set(['user_id', 'external_user_id', 'device_id', 'timezone']);

export interface EventOptions {
  id?: string;
  externalUserId?: string;
  /** Fields merged last, e.g. a wrong type to make the event invalid. */
  extra?: Record<string, unknown>;
}

/** A valid flat event of `type` (every catalog field filled). */
export function flatEvent(type = 'users.messages.email.Send', o: EventOptions = {}): Record<string, unknown> {
  return sampleEvent(type, {
    id: o.id ?? randomUUID(),
    time: 1_764_300_000,
    externalUserId: o.externalUserId ?? `user-${randomUUID().slice(0, 8)}`,
    ...(o.extra ? { extra: o.extra } : {}),
  });
}

/** The same event as Braze's HTTP connector sends it. */
export function nestedEvent(type = 'users.messages.email.Send', o: EventOptions = {}): Record<string, unknown> {
  const flat = flatEvent(type, o);
  const user: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    if (key === 'event_type' || key === 'id' || key === 'time') continue;
    (USER_FIELDS.has(key) ? user : properties)[key] = value;
  }
  return { event_type: flat.event_type, id: flat.id, time: flat.time, user, properties };
}

/** `count` valid nested events with ids `<prefix>-<i>`. */
export function batch(count: number, prefix: string = randomUUID()): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => nestedEvent('users.messages.email.Send', { id: `${prefix}-${i}` }));
}
