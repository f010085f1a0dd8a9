import type { CurrentsEvent } from '../types.js';
import type { MpDeviceInfo } from './types.js';
import { isUuid, nonEmptyText } from './values.js';

/** Currents platform -> mParticle `device_info.platform`. Platforms not listed are left out. */
export const PLATFORM_NAMES: Readonly<Record<string, NonNullable<MpDeviceInfo['platform']>>> = Object.freeze({
  ios: 'iOS',
  android: 'Android',
  web: 'web',
  tvos: 'tvOS',
  roku: 'roku',
  kindle: 'fire_tv',
});

type AdIdKey = 'ios_advertising_id' | 'android_advertising_id' | 'microsoft_advertising_id' | 'roku_advertising_id';

/**
 * Currents `ad_id_type` -> the device_info key its `ad_id` goes to. Braze's docs spell the types `google_adid`;
 * the catalog's field notes spell them `google_ad_id`: both are accepted.
 */
export const AD_ID_KEYS: Readonly<Record<string, AdIdKey>> = Object.freeze({
  ios_idfa: 'ios_advertising_id',
  google_adid: 'android_advertising_id',
  google_ad_id: 'android_advertising_id',
  windows_adid: 'microsoft_advertising_id',
  windows_ad_id: 'microsoft_advertising_id',
  roku_adid: 'roku_advertising_id',
  roku_ad_id: 'roku_advertising_id',
});

/** Keys the official schema types as UUIDs: a value of another shape would make mParticle refuse the batch. */
const UUID_KEYS: ReadonlySet<string> = new Set([
  'ios_idfv',
  'ios_advertising_id',
  'android_advertising_id',
  'roku_advertising_id',
]);

const listedSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The catalog's key list of a type as a set, made once per list (this runs for every event delivered). */
function listedSet(keys: readonly string[]): ReadonlySet<string> {
  let set = listedSets.get(keys);
  if (set === undefined) {
    set = new Set(keys);
    listedSets.set(keys, set);
  }
  return set;
}

/**
 * The device_info of an event, with only the keys the catalog lists for its type, in one fixed key order (so that
 * equal devices give equal envelopes whatever the type). Undefined when no listed key has a value.
 */
export function deviceInfo(event: CurrentsEvent, listedKeys: readonly string[]): MpDeviceInfo | undefined {
  if (listedKeys.length === 0) return undefined;
  const listed = listedSet(listedKeys);
  const info: MpDeviceInfo = {};

  if (listed.has('platform') && typeof event.platform === 'string') {
    const platform = PLATFORM_NAMES[event.platform.toLowerCase()];
    if (platform !== undefined) info.platform = platform;
  }
  if (listed.has('device_model')) {
    const model = nonEmptyText(event.device_model);
    if (model !== undefined) info.device_model = model;
  }
  // Braze fills ios_idfv from device_id on every device event, whatever the OS.
  if (listed.has('ios_idfv') && isUuid(event.device_id)) info.ios_idfv = event.device_id;

  const adKey = typeof event.ad_id_type === 'string' ? AD_ID_KEYS[event.ad_id_type.toLowerCase()] : undefined;
  const adId = nonEmptyText(event.ad_id);
  if (adKey !== undefined && adId !== undefined && listed.has(adKey) && (!UUID_KEYS.has(adKey) || isUuid(adId))) {
    info[adKey] = adId;
  }
  // Our decision: Currents says whether tracking is enabled, mParticle whether it is limited: the opposite.
  if (listed.has('limit_ad_tracking') && typeof event.ad_tracking_enabled === 'boolean') {
    info.limit_ad_tracking = !event.ad_tracking_enabled;
  }
  return Object.keys(info).length === 0 ? undefined : info;
}
