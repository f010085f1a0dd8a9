import { readFileSync } from 'node:fs';

/**
 * The Currents event catalog: all 100 event types with their fields and, for 69 of them, the exact mParticle
 * mapping Braze uses. The data file is a copy of the project's spec (`currents-events.json`); this module gives it
 * types and lookups. It imports nothing of ours.
 */

export type FieldType = 'string' | 'int' | 'long' | 'float' | 'boolean' | 'array<string>';
export type Presence = 'required' | 'optional' | 'absent';
export type PlatformBinding = 'required' | 'optional' | 'none' | 'unknown';

export interface CatalogField {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  readonly description: string;
  readonly pii: boolean;
  readonly deprecated: boolean;
}

/** Where the email identity comes from, when a type sends one. */
export type EmailIdentity = 'required' | 'optional' | null;

export interface MparticleMapping {
  /** Braze's event name ("Email Sends"); null only for the native uninstall event, which has no name. */
  readonly eventName: string;
  readonly eventType: 'custom_event' | 'uninstall';
  readonly customEventType: 'other' | null;
  /** mParticle `device_info` keys this type fills, when the event has the source field. */
  readonly deviceInfoKeys: readonly string[];
  /** Whether `user_identities.email` is sent from `email_address`. */
  readonly emailIdentity: EmailIdentity;
  /** mParticle user attribute name -> Currents field (`$mobile` -> `to_phone_number`). */
  readonly userAttributes: Readonly<Record<string, string>>;
  /** Custom attribute names, after renames (`card_id`), including `source_request_id`. */
  readonly customAttributes: readonly string[];
  /** Currents field -> custom attribute name (`content_card_id` -> `card_id`). */
  readonly renamedFields: Readonly<Record<string, string>>;
}

export interface EventTypeInfo {
  /** The Currents event type, e.g. `users.messages.email.Send`. */
  readonly name: string;
  readonly category: string;
  readonly channel: string | null;
  readonly avroRecord: { readonly name: string; readonly namespace: string };
  readonly fields: readonly CatalogField[];
  readonly platformBound: boolean;
  readonly platformBinding: PlatformBinding;
  readonly platformFields: Readonly<
    Record<'app_id' | 'platform' | 'device_id' | 'os_version' | 'device_model', Presence>
  >;
  /** The mParticle mapping, or null for the 31 types that cannot go to mParticle. */
  readonly mparticle: MparticleMapping | null;
  /** One of the 47 types Braze's "mParticle for Currents" page lists (the default selection of an export). */
  readonly listedOnPartnerPage: boolean;
}

interface RawField {
  name: string;
  type: FieldType;
  nullable: boolean;
  description?: string;
  pii?: boolean;
  deprecated?: boolean;
}

interface RawEntry {
  name: string;
  category: string;
  channel: string | null;
  avro_record: { name: string; namespace: string };
  fields: RawField[];
  platform_bound: boolean;
  platform_binding: PlatformBinding;
  platform_fields: Record<'app_id' | 'platform' | 'device_id' | 'os_version' | 'device_model', Presence>;
  mparticle: {
    listed_on_mparticle_partner_page: boolean;
    mparticle_event_name?: string | null;
    event_type?: 'custom_event' | 'uninstall';
    custom_event_type?: 'other' | null;
    device_info_keys?: string[];
    user_identities?: string[];
    user_attributes?: Record<string, string>;
    custom_attributes?: string[];
    renamed_fields?: Record<string, string>;
  };
}

function toMapping(raw: RawEntry['mparticle']): MparticleMapping | null {
  if (!raw.custom_attributes || !raw.event_type) return null;
  const ids = raw.user_identities ?? [];
  const email = ids.find((i) => i.startsWith('email'));
  return Object.freeze({
    eventName: raw.mparticle_event_name ?? '',
    eventType: raw.event_type,
    customEventType: raw.custom_event_type ?? null,
    deviceInfoKeys: Object.freeze([...(raw.device_info_keys ?? [])]),
    emailIdentity: email === undefined ? null : email.includes('required') ? 'required' : 'optional',
    userAttributes: Object.freeze({ ...(raw.user_attributes ?? {}) }),
    customAttributes: Object.freeze([...raw.custom_attributes]),
    renamedFields: Object.freeze({ ...(raw.renamed_fields ?? {}) }),
  });
}

function toInfo(raw: RawEntry): EventTypeInfo {
  return Object.freeze({
    name: raw.name,
    category: raw.category,
    channel: raw.channel,
    avroRecord: Object.freeze({ ...raw.avro_record }),
    fields: Object.freeze(
      raw.fields.map((f) =>
        Object.freeze({
          name: f.name,
          type: f.type,
          nullable: f.nullable,
          description: f.description ?? '',
          pii: f.pii === true,
          deprecated: f.deprecated === true,
        }),
      ),
    ),
    platformBound: raw.platform_bound,
    platformBinding: raw.platform_binding,
    platformFields: Object.freeze({ ...raw.platform_fields }),
    mparticle: toMapping(raw.mparticle),
    listedOnPartnerPage: raw.mparticle.listed_on_mparticle_partner_page === true,
  });
}

const rawEntries = JSON.parse(readFileSync(new URL('./currents-events.json', import.meta.url), 'utf8')) as RawEntry[];

/** Every event type, in catalog order. */
export const EVENT_TYPES: readonly EventTypeInfo[] = Object.freeze(rawEntries.map(toInfo));

const byName = new Map(EVENT_TYPES.map((t) => [t.name, t]));

/** The type's catalog entry, or undefined for a type Currents does not have. */
export function eventType(name: string): EventTypeInfo | undefined {
  return byName.get(name);
}

/** Types that have an mParticle mapping and so may be selected for an export. */
export const MAPPABLE_TYPES: readonly string[] = Object.freeze(
  EVENT_TYPES.filter((t) => t.mparticle !== null).map((t) => t.name),
);

/** The 47 types Braze's partner page lists: an export's default selection. */
export const PARTNER_PAGE_TYPES: readonly string[] = Object.freeze(
  EVENT_TYPES.filter((t) => t.listedOnPartnerPage && t.mparticle !== null).map((t) => t.name),
);

/** Avro full name (`dataexport.S3.inner.users.messages.email.Send`) to Currents type: the namespace's tail + name. */
export function typeFromAvroName(fullName: string): string | undefined {
  const marker = '.inner.';
  const at = fullName.indexOf(marker);
  const candidate = at >= 0 ? fullName.slice(at + marker.length) : fullName;
  return byName.has(candidate) ? candidate : undefined;
}
