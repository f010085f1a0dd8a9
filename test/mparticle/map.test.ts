import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventType, MAPPABLE_TYPES, type MparticleMapping } from '../../src/catalog/catalog.js';
import { mapEvent } from '../../src/mparticle/map.js';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { loadSchema, validateBatch } from '../../src/mparticle/schema.js';
import type { MapSettings, MpBatch } from '../../src/mparticle/types.js';
import type { CurrentsEvent } from '../../src/types.js';
import { AD_ID_TYPES, makeEvent, PLATFORMS, type Variant } from './fixtures.js';

type Plugin = (ajv: Ajv) => Ajv;
const formatsModule = addFormatsPlugin as unknown as Plugin & { default?: Plugin };
const ajvAsPublished = new Ajv({ strict: false });
(formatsModule.default ?? formatsModule)(ajvAsPublished);
/** mparticle-batch-schema.json exactly as mParticle published it (the product checks a stricter, faster form). */
const officialAsPublished = ajvAsPublished.compile(loadSchema('official'));

const SETTINGS: MapSettings = { environment: 'production', identity: 'customer_id', eventNames: {} };

const PLATFORM_NAMES: Record<string, string> = {
  ios: 'iOS',
  android: 'Android',
  web: 'web',
  tvos: 'tvOS',
  roku: 'roku',
  kindle: 'fire_tv',
};
const AD_KEYS: Record<string, string> = {
  ios_idfa: 'ios_advertising_id',
  google_adid: 'android_advertising_id',
  windows_adid: 'microsoft_advertising_id',
  roku_adid: 'roku_advertising_id',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function has(event: CurrentsEvent, field: string): boolean {
  return event[field] !== undefined && event[field] !== null;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

/** Checks one mapped event against the catalog block of its type and both schemas. */
function checkAgainstCatalog(event: CurrentsEvent, settings: MapSettings = SETTINGS): MpBatch {
  const mapping = eventType(event.event_type)?.mparticle as MparticleMapping;
  const mapped = mapEvent(event, settings);
  if (mapped.kind !== 'event') throw new Error(`${event.event_type} was skipped: ${mapped.reason}`);
  const { envelope, event: mp } = mapped;
  const batch: MpBatch = { ...envelope, events: [mp] };

  expect(validateBatch(batch, 'official'), event.event_type).toBeNull();
  expect(officialAsPublished(batch), event.event_type).toBe(true);
  expect(validateBatch(batch, 'live'), event.event_type).toBeNull();

  // The event itself.
  if (mapping.eventType === 'uninstall') {
    expect(mp.event_type).toBe('uninstall');
    expect(mp.data).not.toHaveProperty('event_name');
  } else {
    expect(mp.event_type).toBe('custom_event');
    expect(mp.data).toMatchObject({
      event_name: settings.eventNames[event.event_type] ?? mapping.eventName,
      custom_event_type: 'other',
    });
  }
  expect(mp.data.timestamp_unixtime_ms).toBe(event.time * 1000);
  if (UUID.test(event.id)) expect(mp.data.source_message_id).toBe(event.id);
  else expect(mp.data).not.toHaveProperty('source_message_id');

  // Custom attributes: the catalog's list, strings only, absent and null left out, card_id renamed.
  const attributes = mp.data.custom_attributes;
  const sourceOf = Object.fromEntries(Object.entries(mapping.renamedFields).map(([f, a]) => [a, f]));
  const expected: Record<string, string> = {};
  for (const name of mapping.customAttributes) {
    const field = sourceOf[name] ?? name;
    if (name !== 'source_request_id' && has(event, field)) expected[name] = asText(event[field]);
  }
  expected.source_request_id = event.id;
  expect(attributes).toEqual(expected);
  for (const value of Object.values(attributes)) expect(typeof value).toBe('string');
  expect(attributes).not.toHaveProperty('content_card_id');
  if (has(event, 'content_card_id')) expect(attributes.card_id).toBe(event.content_card_id);

  // Identities and user attributes.
  expect(envelope.environment).toBe(settings.environment);
  expect(envelope.user_identities[settings.identity]).toBe(event.external_user_id);
  if (mapping.emailIdentity !== null && has(event, 'email_address') && settings.identity !== 'email') {
    expect(envelope.user_identities.email).toBe(event.email_address);
  } else if (settings.identity !== 'email') {
    expect(envelope.user_identities).not.toHaveProperty('email');
  }
  const mobileField = mapping.userAttributes.$mobile;
  if (mobileField !== undefined && has(event, mobileField)) {
    expect(envelope.user_attributes).toEqual({ $mobile: event[mobileField] });
  } else {
    expect(envelope).not.toHaveProperty('user_attributes');
  }

  // device_info: only listed keys, and each by its rule.
  const info = (envelope.device_info ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(info)) expect(mapping.deviceInfoKeys).toContain(key);
  const listed = (key: string): boolean => mapping.deviceInfoKeys.includes(key);
  expect(info.ios_idfv).toBe(listed('ios_idfv') && UUID.test(String(event.device_id)) ? event.device_id : undefined);
  const platform = typeof event.platform === 'string' ? PLATFORM_NAMES[event.platform] : undefined;
  expect(info.platform).toBe(listed('platform') ? platform : undefined);
  expect(info.device_model).toBe(listed('device_model') && has(event, 'device_model') ? event.device_model : undefined);
  const adKey = typeof event.ad_id_type === 'string' ? AD_KEYS[event.ad_id_type] : undefined;
  for (const key of Object.values(AD_KEYS)) {
    const expectSet =
      key === adKey &&
      listed(key) &&
      has(event, 'ad_id') &&
      (key === 'microsoft_advertising_id' || UUID.test(String(event.ad_id)));
    expect(info[key], key).toBe(expectSet ? event.ad_id : undefined);
  }
  const tracking = event.ad_tracking_enabled;
  expect(info.limit_ad_tracking).toBe(
    listed('limit_ad_tracking') && typeof tracking === 'boolean' ? !tracking : undefined,
  );
  return batch;
}

describe('mapEvent over every mappable type', () => {
  it('covers the 69 mappable types', () => {
    expect(MAPPABLE_TYPES).toHaveLength(69);
  });

  for (const type of MAPPABLE_TYPES) {
    it(`${type}: every platform, ad id type and optional-field variant matches the catalog and schemas`, () => {
      for (const optional of ['present', 'null', 'absent'] as const) {
        for (const platform of PLATFORMS) {
          for (const [i, adIdType] of AD_ID_TYPES.entries()) {
            const variant: Partial<Variant> = {
              optional,
              platform,
              adIdType,
              uuidDeviceId: i % 2 === 0,
              uuidAdId: platform !== 'web',
              uuidEventId: i !== 3,
              adTrackingEnabled: i < 2,
            };
            checkAgainstCatalog(makeEvent(type, variant));
          }
        }
      }
    });
  }

  it('holds for random variants, identities and event name overrides (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...MAPPABLE_TYPES),
        fc.record({
          optional: fc.constantFrom('present' as const, 'null' as const, 'absent' as const),
          uuidDeviceId: fc.boolean(),
          uuidAdId: fc.boolean(),
          uuidEventId: fc.boolean(),
          platform: fc.constantFrom(...PLATFORMS, 'smart_fridge'),
          adIdType: fc.constantFrom(...AD_ID_TYPES, 'unknown_adid'),
          adTrackingEnabled: fc.boolean(),
          time: fc.integer({ min: 1_500_000_000, max: 1_900_000_000 }),
        }),
        fc.constantFrom('customer_id' as const, 'other' as const, 'other_id_2' as const, 'other_id_4' as const),
        fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        (type, variant, identity, override) => {
          const eventNames = override === undefined ? {} : { [type]: override };
          checkAgainstCatalog(makeEvent(type, variant), { environment: 'development', identity, eventNames });
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('mapEvent details', () => {
  it('skips events without an external user id: absent, null or empty', () => {
    for (const externalUserId of ['absent', null, ''] as const) {
      const mapped = mapEvent(makeEvent('users.messages.email.Send', { externalUserId }), SETTINGS);
      expect(mapped).toEqual({ kind: 'skipped', reason: 'no_external_user_id' });
    }
  });

  it('skips a type that has no mParticle mapping', () => {
    const mapped = mapEvent(
      { event_type: 'users.behaviors.CustomEvent', id: 'x', time: 1, external_user_id: 'u' },
      SETTINGS,
    );
    expect(mapped).toEqual({ kind: 'skipped', reason: 'not_mappable' });
  });

  it('writes the push Open of the spec example as Braze would, with customer_id and source ids', () => {
    const event: CurrentsEvent = {
      event_type: 'users.messages.pushnotification.Open',
      id: '0b4f1a62-6d1e-4a8e-9d3c-5a1f2e7c9b10',
      time: 1764300000,
      user_id: '65f0c0ffee0000000000abcd',
      external_user_id: 'cust-1042',
      device_id: '3f2a9c1e-device',
      timezone: 'Europe/Madrid',
      app_id: 'app-ios-1',
      platform: 'ios',
      campaign_id: 'c-77',
      send_id: 's-91',
      dispatch_id: 'd-12',
      app_group_id: 'ws-1',
    };
    const mapped = mapEvent(event, SETTINGS);
    expect(mapped.kind).toBe('event');
    if (mapped.kind !== 'event') return;
    expect(mapped.envelope).toEqual({
      environment: 'production',
      user_identities: { customer_id: 'cust-1042' },
      device_info: { platform: 'iOS' },
    });
    expect(mapped.event).toEqual({
      event_type: 'custom_event',
      data: {
        event_name: 'Push Notification Opens',
        custom_event_type: 'other',
        timestamp_unixtime_ms: 1764300000000,
        source_message_id: '0b4f1a62-6d1e-4a8e-9d3c-5a1f2e7c9b10',
        custom_attributes: {
          app_group_id: 'ws-1',
          app_id: 'app-ios-1',
          campaign_id: 'c-77',
          device_id: '3f2a9c1e-device',
          dispatch_id: 'd-12',
          send_id: 's-91',
          source_request_id: '0b4f1a62-6d1e-4a8e-9d3c-5a1f2e7c9b10',
        },
      },
    });
  });

  it('writes booleans, numbers and arrays as text and leaves out unknown fields', () => {
    const event = makeEvent('users.messages.contentcard.Click', { optional: 'present' });
    event.is_unique = false;
    event.campaign_name = 12.5;
    event.send_id = ['x', 'y'];
    event.not_in_catalog = 'ignored';
    const mapped = mapEvent(event, SETTINGS);
    if (mapped.kind !== 'event') throw new Error('skipped');
    const attrs = mapped.event.data.custom_attributes;
    expect(attrs.campaign_name).toBe('12.5');
    expect(attrs.send_id).toBe('["x","y"]');
    expect(attrs).not.toHaveProperty('not_in_catalog');
  });

  it('puts the external user id in the chosen identity, including those only the live schema knows', () => {
    const event = makeEvent('users.messages.email.Open');
    const mapped = mapEvent(event, { ...SETTINGS, identity: 'other_id_7' });
    if (mapped.kind !== 'event') throw new Error('skipped');
    expect(mapped.envelope.user_identities).toEqual({ other_id_7: 'cust-1042', email: 'ana@example.com' });
    const batch = { ...mapped.envelope, events: [mapped.event] };
    expect(validateBatch(batch, 'live')).toBeNull();
    expect(validateBatch(batch, 'official')).toMatch(/additional/);
  });

  it('lets the email identity chosen for the user id win over email_address', () => {
    const mapped = mapEvent(makeEvent('users.messages.email.Open'), { ...SETTINGS, identity: 'email' });
    if (mapped.kind !== 'event') throw new Error('skipped');
    expect(mapped.envelope.user_identities).toEqual({ email: 'cust-1042' });
  });

  it('gives equal envelope keys to events of one user on one device, whatever the type', () => {
    const open = mapEvent(makeEvent('users.messages.inappmessage.Click'), SETTINGS);
    const click = mapEvent(makeEvent('users.messages.contentcard.Click'), SETTINGS);
    const other = mapEvent(makeEvent('users.messages.contentcard.Click', { platform: 'android' }), SETTINGS);
    if (open.kind !== 'event' || click.kind !== 'event' || other.kind !== 'event') throw new Error('skipped');
    expect(open.envelopeKey).toBe(click.envelopeKey);
    expect(other.envelopeKey).not.toBe(click.envelopeKey);
  });
});
