import { eventType, type MparticleMapping } from '../catalog/catalog.js';
import type { CurrentsEvent } from '../types.js';
import { deviceInfo } from './device.js';
import { mapEvent } from './map.js';
import { transformEvent } from './transform.js';
import type { MapSettings, SkipReason } from './types.js';
import { attributeText, isUuid, nonEmptyText } from './values.js';

/**
 * `mapEvent` written straight as JSON text, for delivery: the same event and envelope, key for key and byte for byte
 * (`JSON.stringify` of mapEvent's objects, which test/mparticle/write.test.ts checks over the whole catalog with
 * arbitrary values), without building the objects first. Each type's fixed parts (its keys, quoted once, and the
 * head of its event) are made once per type and settings; an event costs one `JSON.stringify` per value.
 */
export type Written =
  | {
      kind: 'event';
      /** The envelope's user_identities as JSON. */
      user: string;
      /** The envelope as JSON (mapEvent's envelopeKey). */
      envelopeKey: string;
      /** The event as JSON. */
      json: string;
      /** The event's timestamp_unixtime_ms (NaN or Infinity when its time gives none: JSON writes null). */
      timestamp: number;
    }
  | { kind: 'skipped'; reason: SkipReason };

interface Template {
  /**
   * The custom attributes other than source_request_id: the Currents field read, and `"name":` as written first
   * (`key`) or after another (`nextKey`, with its comma), each also with the value's opening quote.
   */
  attributes: readonly { field: string; key: string; nextKey: string; quotedKey: string; nextQuotedKey: string }[];
  userAttributes: readonly { field: string; key: string }[];
  /** The event's JSON up to its timestamp's value, by event name (custom events) or alone (uninstall). */
  heads: Map<string, string>;
}

/**
 * Whether an object built by adding these keys in this order holds each once, in this order. Objects put integer-like
 * keys first, keep one of two equal keys and treat __proto__ apart: no catalog type has such names, but a type that
 * did would be left to mapEvent's objects rather than written differently.
 */
export function keepsOrder(names: readonly string[]): boolean {
  return new Set(names).size === names.length && names.every((n) => !/^\d+$/.test(n) && n !== '__proto__');
}

/** Whether JSON.stringify would escape anything in the text: a control character, a quote, a backslash, a surrogate. */
function needsEscaping(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/** The pieces of the event being written (writeEvent is synchronous: one array serves every call). */
const scratch: string[] = [];

const templates = new WeakMap<MparticleMapping, Template | null>();

/** A type's template, or null when its attribute names would make an object differ from its list (kept by mapEvent). */
function templateOf(mapping: MparticleMapping): Template | null {
  let template = templates.get(mapping);
  if (template !== undefined) return template;
  const renamedFrom = new Map(Object.entries(mapping.renamedFields).map(([field, name]) => [name, field]));
  const names = mapping.customAttributes.filter((n) => n !== 'source_request_id');
  const userNames = Object.keys(mapping.userAttributes);
  template =
    keepsOrder(names) && keepsOrder(userNames)
      ? {
          attributes: names.map((n) => {
            const key = `${JSON.stringify(n)}:`;
            return {
              field: renamedFrom.get(n) ?? n,
              key,
              nextKey: `,${key}`,
              quotedKey: `${key}"`,
              nextQuotedKey: `,${key}"`,
            };
          }),
          userAttributes: userNames.map((n) => ({ field: mapping.userAttributes[n]!, key: `${JSON.stringify(n)}:` })),
          heads: new Map(),
        }
      : null;
  templates.set(mapping, template);
  return template;
}

function headOf(template: Template, mapping: MparticleMapping, name: string): string {
  let head = template.heads.get(name);
  if (head === undefined) {
    head =
      mapping.eventType === 'uninstall'
        ? '{"event_type":"uninstall","data":{"timestamp_unixtime_ms":'
        : `{"event_type":"custom_event","data":{"event_name":${JSON.stringify(name)},"custom_event_type":"other","timestamp_unixtime_ms":`;
    template.heads.set(name, head);
  }
  return head;
}

export function writeEvent(original: CurrentsEvent, settings: MapSettings): Written {
  const event = settings.transformations === undefined ? original : transformEvent(original, settings.transformations);
  const mapping = eventType(event.event_type)?.mparticle ?? null;
  if (mapping === null) return { kind: 'skipped', reason: 'not_mappable' };
  const externalUserId = nonEmptyText(event.external_user_id);
  if (externalUserId === undefined) return { kind: 'skipped', reason: 'no_external_user_id' };
  const template = templateOf(mapping);
  if (template === null) return writeViaObjects(original, settings);

  let user = `{${JSON.stringify(settings.identity)}:${JSON.stringify(externalUserId)}`;
  if (mapping.emailIdentity !== null && settings.identity !== 'email') {
    const email = nonEmptyText(event.email_address);
    if (email !== undefined) user += `,"email":${JSON.stringify(email)}`;
  }
  user += '}';
  let envelopeKey = `{"environment":${JSON.stringify(settings.environment)},"user_identities":${user}`;
  let userAttributes = '';
  for (const { field, key } of template.userAttributes) {
    const value = nonEmptyText(event[field]);
    if (value !== undefined) userAttributes += `${userAttributes === '' ? '' : ','}${key}${JSON.stringify(value)}`;
  }
  if (userAttributes !== '') envelopeKey += `,"user_attributes":{${userAttributes}}`;
  const device = deviceInfo(event, mapping.deviceInfoKeys);
  if (device !== undefined) envelopeKey += `,"device_info":${JSON.stringify(device)}`;
  envelopeKey += '}';

  const timestamp = Math.round(event.time * 1000);
  const name =
    mapping.eventType === 'uninstall' ? '' : (nonEmptyText(settings.eventNames[event.event_type]) ?? mapping.eventName);
  // The text's pieces go into one array joined once: one flat string, where `+=` made a rope of a hundred pieces
  // and a quoted copy of every value (4 KB of garbage for a 1 KB event; the heap's scavenges paid for it).
  const parts = scratch;
  parts.length = 0;
  parts.push(headOf(template, mapping, name), Number.isFinite(timestamp) ? String(timestamp) : 'null');
  if (isUuid(event.id)) parts.push(',"source_message_id":"', event.id, '"');
  parts.push(',"custom_attributes":{');
  let first = true;
  for (const attribute of template.attributes) {
    const value = attributeText(event[attribute.field]);
    if (value === undefined) continue;
    if (needsEscaping(value)) parts.push(first ? attribute.key : attribute.nextKey, JSON.stringify(value));
    else parts.push(first ? attribute.quotedKey : attribute.nextQuotedKey, value, '"');
    first = false;
  }
  const id = JSON.stringify(event.id) as string | undefined;
  if (id !== undefined) parts.push(first ? '"source_request_id":' : ',"source_request_id":', id);
  parts.push('}}}');
  const json = parts.join('');
  parts.length = 0;
  return { kind: 'event', user, envelopeKey, json, timestamp };
}

/** The same, through mapEvent's objects and `JSON.stringify`: for what has no template, and the tests' reference. */
export function writeViaObjects(event: CurrentsEvent, settings: MapSettings): Written {
  const mapped = mapEvent(event, settings);
  if (mapped.kind === 'skipped') return mapped;
  return {
    kind: 'event',
    user: JSON.stringify(mapped.envelope.user_identities),
    envelopeKey: mapped.envelopeKey,
    json: JSON.stringify(mapped.event),
    timestamp: mapped.event.data.timestamp_unixtime_ms,
  };
}
