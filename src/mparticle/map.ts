import { eventType, type MparticleMapping } from '../catalog/catalog.js';
import type { CurrentsEvent } from '../types.js';
import { deviceInfo } from './device.js';
import { transformEvent } from './transform.js';
import type { Envelope, MapSettings, Mapped, MpEvent } from './types.js';
import { attributeText, isUuid, nonEmptyText } from './values.js';

/**
 * One Currents event -> one mParticle event and the envelope it travels in, exactly as the catalog's `mparticle`
 * block for its type says (spec §2). Pure: no clock, no I/O.
 *
 * Decisions where the spec leaves room:
 * - `data.source_message_id` is set only when the Currents id is a UUID: the official schema types it so. The id
 *   always travels in the custom attributes as `source_request_id`.
 * - When the export's identity is `email`, the external user id fills it and `email_address` does not replace it.
 * - `time` may carry a fraction: the timestamp is rounded to a whole millisecond (the schema wants an integer).
 * - The export's field transformations apply first, so every place a field goes carries its transformed value.
 */
export function mapEvent(original: CurrentsEvent, settings: MapSettings): Mapped {
  const event = settings.transformations === undefined ? original : transformEvent(original, settings.transformations);
  const mapping = eventType(event.event_type)?.mparticle ?? null;
  if (mapping === null) return { kind: 'skipped', reason: 'not_mappable' };
  const externalUserId = nonEmptyText(event.external_user_id);
  if (externalUserId === undefined) return { kind: 'skipped', reason: 'no_external_user_id' };

  const envelope = buildEnvelope(event, mapping, settings, externalUserId);
  return {
    kind: 'event',
    envelope,
    event: buildEvent(event, mapping, settings),
    envelopeKey: JSON.stringify(envelope),
  };
}

function buildEnvelope(
  event: CurrentsEvent,
  mapping: MparticleMapping,
  settings: MapSettings,
  externalUserId: string,
): Envelope {
  const identities: Envelope['user_identities'] = { [settings.identity]: externalUserId };
  if (mapping.emailIdentity !== null && identities.email === undefined) {
    const email = nonEmptyText(event.email_address);
    if (email !== undefined) identities.email = email;
  }
  const envelope: Envelope = { environment: settings.environment, user_identities: identities };

  let attributes: Record<string, string> | undefined;
  for (const [attribute, field] of userAttributesOf(mapping)) {
    const value = nonEmptyText(event[field]);
    if (value !== undefined) (attributes ??= {})[attribute] = value;
  }
  if (attributes !== undefined) envelope.user_attributes = attributes;

  const device = deviceInfo(event, mapping.deviceInfoKeys);
  if (device !== undefined) envelope.device_info = device;
  return envelope;
}

function buildEvent(event: CurrentsEvent, mapping: MparticleMapping, settings: MapSettings): MpEvent {
  const timestamp = Math.round(event.time * 1000);
  const attributes = customAttributes(event, mapping);
  const messageId = isUuid(event.id) ? { source_message_id: event.id } : {};
  if (mapping.eventType === 'uninstall') {
    return {
      event_type: 'uninstall',
      data: { timestamp_unixtime_ms: timestamp, ...messageId, custom_attributes: attributes },
    };
  }
  return {
    event_type: 'custom_event',
    data: {
      event_name: nonEmptyText(settings.eventNames[event.event_type]) ?? mapping.eventName,
      custom_event_type: 'other',
      timestamp_unixtime_ms: timestamp,
      ...messageId,
      custom_attributes: attributes,
    },
  };
}

const userAttributes = new WeakMap<MparticleMapping, readonly (readonly [string, string])[]>();

/** The catalog's user attributes of a type as [attribute, field] pairs, listed once per type. */
function userAttributesOf(mapping: MparticleMapping): readonly (readonly [string, string])[] {
  let pairs = userAttributes.get(mapping);
  if (pairs === undefined) {
    pairs = Object.entries(mapping.userAttributes);
    userAttributes.set(mapping, pairs);
  }
  return pairs;
}

const sourceFields = new WeakMap<MparticleMapping, ReadonlyMap<string, string>>();

/** Custom attribute name -> the Currents field it is read from (`card_id` <- `content_card_id`). */
function sourceFieldsOf(mapping: MparticleMapping): ReadonlyMap<string, string> {
  let fields = sourceFields.get(mapping);
  if (fields === undefined) {
    fields = new Map(Object.entries(mapping.renamedFields).map(([field, attribute]) => [attribute, field]));
    sourceFields.set(mapping, fields);
  }
  return fields;
}

function customAttributes(event: CurrentsEvent, mapping: MparticleMapping): Record<string, string> {
  const sourceOf = sourceFieldsOf(mapping);
  const attributes: Record<string, string> = {};
  for (const attribute of mapping.customAttributes) {
    if (attribute === 'source_request_id') continue;
    const value = attributeText(event[sourceOf.get(attribute) ?? attribute]);
    if (value !== undefined) attributes[attribute] = value;
  }
  attributes.source_request_id = event.id;
  return attributes;
}
