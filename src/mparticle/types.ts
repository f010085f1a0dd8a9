import type { IdentityKey, Slot, Transformation } from '../types.js';

/**
 * The shapes of what goes to mParticle's Events API. Only the parts of the batch schema this product writes are
 * typed; `schema/` holds mParticle's full schema, which every batch is checked against before it is sent.
 *
 * - envelope: the batch fields that describe the user and device (environment, identities, user attributes,
 *   device_info). Events of one user read together share an envelope and may travel in one batch.
 * - out batch: one batch ready to send, with its JSON text and the log rows it carries.
 * - out request: one HTTP body of up to 100 batches for one endpoint.
 */

export type MpEnvironment = 'production' | 'development';

/** The `device_info` keys this product fills (a subset of mParticle's). */
export interface MpDeviceInfo {
  platform?: 'iOS' | 'Android' | 'web' | 'tvOS' | 'roku' | 'fire_tv';
  device_model?: string;
  ios_idfv?: string;
  ios_advertising_id?: string;
  android_advertising_id?: string;
  microsoft_advertising_id?: string;
  roku_advertising_id?: string;
  limit_ad_tracking?: boolean;
}

export interface Envelope {
  environment: MpEnvironment;
  user_identities: Partial<Record<IdentityKey, string>>;
  user_attributes?: Record<string, string>;
  device_info?: MpDeviceInfo;
}

interface MpEventData {
  timestamp_unixtime_ms: number;
  /** Set only when the Currents id is a UUID (the official schema types it so). */
  source_message_id?: string;
  custom_attributes: Record<string, string>;
}

export type MpEvent =
  | {
      event_type: 'custom_event';
      data: { event_name: string; custom_event_type: 'other' } & MpEventData;
    }
  | { event_type: 'uninstall'; data: MpEventData };

/** One mParticle batch as this product sends it. */
export interface MpBatch extends Envelope {
  source_request_id?: string;
  events: MpEvent[];
}

export interface MapSettings {
  environment: MpEnvironment;
  identity: IdentityKey;
  /** Event type -> mParticle event name, overriding the catalog's (Braze's) name. */
  eventNames: Record<string, string>;
  /** Fields removed or hashed before the event is mapped. */
  transformations?: readonly Transformation[];
}

export type SkipReason = 'no_external_user_id' | 'not_mappable';

export type Mapped =
  { kind: 'event'; envelope: Envelope; event: MpEvent; envelopeKey: string } | { kind: 'skipped'; reason: SkipReason };

export interface OutBatch {
  /**
   * The batch as an object, parsed from `json` when asked (dead letters, tests): a batch in flight keeps only its
   * text, so the mapped objects die young.
   */
  readonly batch: MpBatch;
  /** The batch's source_request_id. */
  id: string;
  /** The batch's user_identities as JSON: batches of one user have the same text. */
  user: string;
  /** The batch exactly as it is sent. */
  json: string;
  /** UTF-8 length of `json`. */
  bytes: number;
  /** Currents ids, types and log seqs of the events in the batch, in the batch's event order. */
  eventIds: string[];
  types: string[];
  seqs: number[];
  /** Every event is older than 30 days: the batch goes to `/v2/bulkevents/historical`. */
  historical: boolean;
}

/** A batch that must not be sent; the caller dead-letters it with `error`. */
export interface RefusedBatch {
  batch: OutBatch;
  reason: 'too_large' | 'invalid';
  error: string;
}

export type BulkPath = '/v2/bulkevents' | '/v2/bulkevents/historical';

export interface OutRequest {
  path: BulkPath;
  batches: OutBatch[];
  /**
   * The JSON array of the batches' JSON, as sent, in UTF-8: off the JS heap, because the bodies are most of what a
   * chunk holds while its requests are under way, and the heap's scavenges copy every string still alive.
   */
  body: Buffer;
  bytes: number;
}

export interface FeedPlan {
  /** The slots joined with '+' in the order ios, android, web, unbound ("ios+unbound"). */
  id: string;
  slots: Slot[];
  key: string;
}
