import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceInfo } from '../../src/mparticle/device.js';
import { attributeText, decimalText, isUuid } from '../../src/mparticle/values.js';
import type { CurrentsEvent } from '../../src/types.js';

const ALL_KEYS = [
  'android_advertising_id',
  'device_model',
  'ios_advertising_id',
  'ios_idfv',
  'limit_ad_tracking',
  'microsoft_advertising_id',
  'platform',
  'roku_advertising_id',
];
const UUID = '6d1e0b4f-1a62-4a8e-9d3c-7c9b105a1f2e';

function device(fields: Record<string, unknown>, keys: readonly string[] = ALL_KEYS): unknown {
  const event: CurrentsEvent = { event_type: 'users.messages.pushnotification.Open', id: 'x', time: 1, ...fields };
  return deviceInfo(event, keys);
}

describe('attribute values', () => {
  it('writes values as mParticle strings', () => {
    expect(attributeText('a')).toBe('a');
    expect(attributeText('')).toBe('');
    expect(attributeText(true)).toBe('true');
    expect(attributeText(false)).toBe('false');
    expect(attributeText(42)).toBe('42');
    expect(attributeText(-0.25)).toBe('-0.25');
    expect(attributeText(['a', 'b'])).toBe('["a","b"]');
    expect(attributeText(null)).toBeUndefined();
    expect(attributeText(undefined)).toBeUndefined();
  });

  it('writes large and tiny numbers as decimals, not exponents', () => {
    expect(decimalText(1e21)).toBe('1000000000000000000000');
    expect(decimalText(1e-7)).toBe('0.0000001');
    expect(decimalText(-1.5e-9)).toBe('-0.0000000015');
    expect(decimalText(1.25e22)).toBe('12500000000000000000000');
    expect(decimalText(1764300000123)).toBe('1764300000123');
  });

  it('recognises UUIDs in either case and nothing else', () => {
    expect(isUuid(UUID)).toBe(true);
    expect(isUuid(UUID.toUpperCase())).toBe(true);
    expect(isUuid('3f2a9c1e-device')).toBe(false);
    expect(isUuid(`${UUID}0`)).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});

describe('device_info', () => {
  it('maps each Currents platform and leaves unknown ones out', () => {
    const cases: [string, string | undefined][] = [
      ['ios', 'iOS'],
      ['android', 'Android'],
      ['web', 'web'],
      ['tvos', 'tvOS'],
      ['roku', 'roku'],
      ['kindle', 'fire_tv'],
      ['smart_fridge', undefined],
    ];
    for (const [platform, expected] of cases) {
      expect(device({ platform })).toEqual(expected === undefined ? undefined : { platform: expected });
    }
  });

  it('puts each ad id type into its key, UUID-typed keys only for UUIDs', () => {
    expect(device({ ad_id: UUID, ad_id_type: 'ios_idfa' })).toEqual({ ios_advertising_id: UUID });
    expect(device({ ad_id: UUID, ad_id_type: 'google_adid' })).toEqual({ android_advertising_id: UUID });
    expect(device({ ad_id: UUID, ad_id_type: 'roku_adid' })).toEqual({ roku_advertising_id: UUID });
    expect(device({ ad_id: 'win-ad-1', ad_id_type: 'windows_adid' })).toEqual({ microsoft_advertising_id: 'win-ad-1' });
    expect(device({ ad_id: 'not-uuid', ad_id_type: 'ios_idfa' })).toBeUndefined();
    expect(device({ ad_id: UUID, ad_id_type: 'google_ad_id' })).toEqual({ android_advertising_id: UUID });
    expect(device({ ad_id: UUID, ad_id_type: 'unknown' })).toBeUndefined();
  });

  it('inverts ad_tracking_enabled into limit_ad_tracking', () => {
    expect(device({ ad_tracking_enabled: true })).toEqual({ limit_ad_tracking: false });
    expect(device({ ad_tracking_enabled: false })).toEqual({ limit_ad_tracking: true });
    expect(device({ ad_tracking_enabled: null })).toBeUndefined();
  });

  it('fills ios_idfv from a UUID device id on any platform, and only listed keys', () => {
    expect(device({ device_id: UUID, platform: 'android' })).toEqual({ platform: 'Android', ios_idfv: UUID });
    expect(device({ device_id: 'web-1', platform: 'web' })).toEqual({ platform: 'web' });
    expect(device({ device_id: UUID, platform: 'ios', device_model: 'iPhone' }, ['ios_idfv'])).toEqual({
      ios_idfv: UUID,
    });
    expect(device({ device_id: UUID }, [])).toBeUndefined();
  });
});

describe('isUuid', () => {
  const PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  it('agrees with the schema pattern on UUIDs, near-UUIDs and anything else (property)', () => {
    const nearUuid = fc
      .tuple(fc.uuid(), fc.nat(35), fc.constantFrom('-', 'g', 'G', '0', 'f', 'F', ' ', 'é', ''))
      .map(([u, i, c]) => u.slice(0, i) + c + u.slice(i + 1));
    fc.assert(
      fc.property(fc.oneof(fc.uuid(), nearUuid, fc.string(), fc.string({ minLength: 36, maxLength: 36 })), (s) => {
        expect(isUuid(s)).toBe(PATTERN.test(s));
      }),
      { numRuns: 2000 },
    );
    expect(isUuid(42)).toBe(false);
  });
});
