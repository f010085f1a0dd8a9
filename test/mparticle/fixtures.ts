import { randomUUID } from 'node:crypto';
import { eventType, type CatalogField, type EventTypeInfo } from '../../src/catalog/catalog.js';
import { buildBatches, type BuildOptions } from '../../src/mparticle/batches.js';
import type { OutBatch } from '../../src/mparticle/types.js';
import type { CurrentsEvent } from '../../src/types.js';

/** Deterministic Currents events generated from the catalog's field lists, for mapping and batching tests. */

export const PLATFORMS = ['ios', 'android', 'web', 'tvos', 'roku', 'kindle'] as const;
export const AD_ID_TYPES = ['ios_idfa', 'google_adid', 'windows_adid', 'roku_adid'] as const;

export interface Variant {
  /** Optional (nullable) fields: 'present' fills them, 'null' sets them null, 'absent' leaves them out. */
  optional: 'present' | 'null' | 'absent';
  uuidDeviceId: boolean;
  uuidAdId: boolean;
  uuidEventId: boolean;
  platform: string;
  adIdType: string;
  adTrackingEnabled: boolean;
  /** Default 'cust-1042' whatever `optional` says; `absent` leaves the field out. */
  externalUserId?: string | null | 'absent';
  time?: number;
}

export const DEFAULT_VARIANT: Variant = {
  optional: 'present',
  uuidDeviceId: true,
  uuidAdId: true,
  uuidEventId: true,
  platform: 'ios',
  adIdType: 'ios_idfa',
  adTrackingEnabled: true,
};

let counter = 0;
function nextId(uuid: boolean): string {
  counter += 1;
  return uuid ? randomUUID() : `evt-${counter.toString(36)}-${Date.now().toString(36)}`;
}

function valueFor(field: CatalogField, v: Variant): unknown {
  switch (field.name) {
    case 'id':
      return nextId(v.uuidEventId);
    case 'time':
      return v.time ?? 1_764_300_000;
    case 'user_id':
      return '65f0c0ffee0000000000abcd';
    case 'device_id':
      return v.uuidDeviceId ? '3f2a9c1e-0b4f-4a62-9d3c-5a1f2e7c9b10' : 'web-device-3f2a9c1e';
    case 'platform':
      return v.platform;
    case 'ad_id':
      return v.uuidAdId ? '6d1e0b4f-1a62-4a8e-9d3c-7c9b105a1f2e' : 'not-a-uuid-ad-id';
    case 'ad_id_type':
      return v.adIdType;
    case 'ad_tracking_enabled':
      return v.adTrackingEnabled;
    case 'email_address':
      return 'ana@example.com';
    case 'to_phone_number':
    case 'user_phone_number':
    case 'from_phone_number':
      return '+34600111222';
    case 'device_model':
      return 'iPhone15,2';
  }
  switch (field.type) {
    case 'string':
      return `${field.name}-value`;
    case 'int':
    case 'long':
      return 42;
    case 'float':
      return 1.5;
    case 'boolean':
      return true;
    case 'array<string>':
      return ['a', 'b'];
  }
}

/** One event of the type with every field the catalog lists, filled as the variant says. */
export function makeEvent(type: string, variant: Partial<Variant> = {}): CurrentsEvent {
  const info: EventTypeInfo | undefined = eventType(type);
  if (info === undefined) throw new Error(`no such type ${type}`);
  const v = { ...DEFAULT_VARIANT, ...variant };
  const event: CurrentsEvent = { event_type: type, id: '', time: 0 };
  for (const field of info.fields) {
    if (field.name === 'external_user_id') continue;
    if (field.nullable && v.optional !== 'present') {
      if (v.optional === 'null') event[field.name] = null;
      continue;
    }
    event[field.name] = valueFor(field, v);
  }
  const userId = v.externalUserId === undefined ? 'cust-1042' : v.externalUserId;
  if (userId !== 'absent') event.external_user_id = userId;
  if (event.id === '') event.id = nextId(v.uuidEventId);
  if (event.time === 0) event.time = v.time ?? 1_764_300_000;
  return event;
}

/** The clock and options of the batches `singleBatches` builds. */
export const BATCH_NOW = Date.UTC(2026, 0, 15);
export const BATCH_OPTS: BuildOptions = {
  settings: { environment: 'production', identity: 'customer_id', eventNames: {} },
  merge: false,
  feedId: 'unbound',
  generation: 0,
  now: BATCH_NOW,
};

/** `count` single-event batches of one user each, about `padding` bytes each, optionally historical. */
export function singleBatches(count: number, padding = 0, ageSeconds = 60): OutBatch[] {
  const events = Array.from({ length: count }, (_, i) => {
    const e = makeEvent('users.messages.email.Send', {
      externalUserId: `u${i}`,
      time: Math.floor(BATCH_NOW / 1000) - ageSeconds,
    });
    if (padding > 0) e.campaign_name = 'p'.repeat(padding);
    return { seq: i + 1, event: e };
  });
  return buildBatches(events, BATCH_OPTS).batches;
}
