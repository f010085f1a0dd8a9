/**
 * The shared vocabulary of currents-mparticle. Every room may import this module; it imports nothing of ours.
 *
 * Glossary
 * - event:       one Currents engagement event (an email Send, a push Open...), identified by its Currents `id`.
 *                Stored in the flat form of Braze's storage files: every catalog field at top level, plus `event_type`.
 * - log:         the append-only, durable record of accepted events. Each row has a `seq`, increasing in commit order.
 * - partition:   a slice of the log chosen by a hash of the user. One user, one partition: order per user holds.
 * - export:      what Braze calls "a Current": a destination, its feeds' credentials, the selected event types.
 * - slot:        one of the four inputs of mParticle's Braze feed: ios, android, web, unbound.
 * - feed:        one set of credentials events are sent with. Slots given the same key form one feed.
 * - cursor:      the last log `seq` an (export, feed, partition) has dealt with (delivered, skipped, dead-lettered
 *                or dropped). Everything at or below it is done for that sender.
 * - batch:       one mParticle batch: one user, one or more events, one envelope.
 * - request:     one HTTP call to `/v2/bulkevents`: up to 100 batches, under 256 KB.
 * - attempt:     one try at sending a request.
 * - dead letter: a batch mParticle refused as invalid (400), kept with its payload and error for a retry.
 * - drop:        events removed from a feed's backlog because its credentials were refused longer than the hold
 *                window; recorded per type with count, time range and reason.
 * - quarantine:  input refused at ingest, kept raw with the reason and its source, replayable after a fix.
 * - replay:      a re-send of a time range of the log; its generation takes part in `source_request_id`.
 * - source:      one Braze workspace's Current as this service receives it: pushed over HTTP with its own token (or
 *                the service's ingest token, the built-in source `default`), or written as files to a bucket (S3,
 *                Azure Blob, GCS) that is polled. Every logged event records its source; exports may take only some.
 * - checkpoint:  what a storage source's poller recorded of one object it read (key, size, etag or generation, the
 *                events it held, the error when it could not be read whole), so that no object is read twice.
 */

/** The four inputs of mParticle's Braze feed. */
export type Slot = 'ios' | 'android' | 'web' | 'unbound';
export const SLOTS: readonly Slot[] = ['ios', 'android', 'web', 'unbound'];

/** The platforms an app-bound event is routed by (other platforms, such as tvos or roku, go to unbound). */
export type AppPlatform = 'ios' | 'android' | 'web';

/** An event in the flat storage form: catalog fields at top level; unknown fields are kept. */
export interface CurrentsEvent {
  event_type: string;
  id: string;
  time: number;
  [field: string]: unknown;
}

/** An event ready to append to the log; the columns exports filter on, plus the payload as JSON text. */
export interface NewEvent {
  eventId: string;
  type: string;
  partition: number;
  externalUserId: string | null;
  /** `ios`, `android` or `web` when the event is bound to an app (it has an `app_id` and that platform); else null. */
  platform: AppPlatform | null;
  appId: string | null;
  /** Event time, UNIX seconds, as Currents gives it. */
  time: number;
  /** When this service accepted the event, ms since the epoch. */
  receivedAt: number;
  /** The flat event (`CurrentsEvent`) as JSON text. */
  payload: string;
  /** The id of the source it came from (`default`: the service's own ingest token, or files imported without one). */
  source: string;
}

export interface LogRow extends NewEvent {
  seq: number;
}

/** Where a quarantined input came from. */
export type QuarantineSource =
  | { kind: 'http'; requestId: string; index: number; sourceId?: string; /** events in that request */ of?: number }
  | { kind: 'file'; path: string; offset: number; index?: number; sourceId?: string }
  | { kind: 'retry'; quarantineId: number };

export interface NewQuarantine {
  reason: string;
  source: QuarantineSource;
  /** The input exactly as received (one event's JSON text, or a description of undecodable bytes). */
  raw: string;
  eventType: string | null;
  receivedAt: number;
  /** The validation that refused it (service version and catalog, see ingest/validator.ts). */
  validator?: string;
}

export interface QuarantineRecord extends Omit<NewQuarantine, 'validator'> {
  id: number;
  /** Null on records kept before the validation was recorded: whether a retry could pass is then unknown. */
  validator: string | null;
  /** Set when a person dismissed the record (it will never pass): it leaves the list and the counts, but is kept. */
  dismissedAt: number | null;
  dismissedNote: string | null;
}

/** mParticle pods and their hosts. */
export type Pod = 'US1' | 'US2' | 'EU1' | 'AU1';

export type Destination = { pod: Pod } | { base_url: string };

/** The identity the Currents `external_user_id` becomes in mParticle. */
export type IdentityKey =
  | 'customer_id'
  | 'other'
  | 'email'
  | 'other_id_2'
  | 'other_id_3'
  | 'other_id_4'
  | 'other_id_5'
  | 'other_id_6'
  | 'other_id_7'
  | 'other_id_8'
  | 'other_id_9'
  | 'other_id_10';

/** A slot's credentials as stored: the secret is encrypted at rest (`enc:` text produced by the secrets module). */
export interface StoredCredentials {
  key: string;
  secretEnc: string;
}

export type ExportState = 'active' | 'paused';

/** An export as stored. Secrets are encrypted; the API never returns them. */
export interface ExportRecord {
  id: string;
  name: string;
  contactEmail: string;
  destination: Destination;
  environment: 'production' | 'development';
  feeds: Partial<Record<Slot, StoredCredentials>>;
  events: string[];
  identity: IdentityKey;
  /** Event type -> mParticle event name, overriding Braze's. */
  eventNames: Record<string, string>;
  /** Merge a user's events read together into one batch (false: one event per batch, as Braze does). */
  mergeBatches: boolean;
  holdWindowHours: number;
  /** Batches per second this export may send (mParticle's default limit is 270). */
  rateLimit: number;
  /** Only events from these sources; absent: every source, including those created later. */
  sources?: string[];
  /** Fields removed or hashed before mapping, as Currents does; absent in exports stored before they existed. */
  transformations?: Transformation[];
  state: ExportState;
  /** Log position the export started from: it delivers events with seq above this. */
  startSeq: number;
  /** The `from` it was created with ("now", "earliest" or a time); absent for exports made before it was kept. */
  startFrom?: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * A field transformation of an export: the Currents field's string value is replaced before mapping, by
 * `[REDACTED]` (remove) or the lowercase hex SHA-256 of its UTF-8 text (hash), in every event type that has it.
 */
export interface Transformation {
  field: string;
  action: 'remove' | 'hash';
}

/**
 * What happened to events, counted per export, feed and type. `historical` is a part of `delivered`; `not_string`
 * is counted per field (the counter's `type` is the field name): values a transformation left as they were because
 * they were not strings.
 */
export type Outcome = 'delivered' | 'skipped' | 'dead_lettered' | 'dropped' | 'historical' | 'not_string';

export interface CounterDelta {
  feed: string;
  type: string;
  outcome: Outcome;
  count: number;
}

export interface CounterRow extends CounterDelta {
  exportId: string;
}

export interface NewDeadLetter {
  exportId: string;
  feed: string;
  /** The batch exactly as it was (or would have been) sent, as JSON text. */
  batch: string;
  eventIds: string[];
  /** The type of each event, in the order of `eventIds`. */
  types: string[];
  status: number | null;
  error: string;
  createdAt: number;
  /** Times the batch was sent before it was refused (0: refused before sending, as invalid or too large). */
  attempts: number;
}

export interface DeadLetter extends NewDeadLetter {
  id: number;
  /** When it was last sent (on its way to being refused, or by a retry), ms; null when never sent. */
  lastAttemptAt: number | null;
}

export interface NewDrop {
  exportId: string;
  feed: string;
  type: string;
  count: number;
  /** Event times (UNIX seconds) of the first and last dropped event. */
  firstTime: number;
  lastTime: number;
  reason: string;
  droppedAt: number;
}

export interface Drop extends NewDrop {
  id: number;
}

/** The state of one feed's sender. */
export type FeedPhase = 'flowing' | 'retrying' | 'credentials_rejected' | 'paused';

export interface FeedState {
  phase: FeedPhase;
  /** When credentials were first refused in the current hold, ms; null when not held. */
  heldSince: number | null;
  lastError: string | null;
  lastDeliveryAt: number | null;
  lastProbeAt: number | null;
  /** When the contact was told of the current hold, ms. */
  notifiedAt: number | null;
  /** The last `X-mp-rate-limit-percentage-used` mParticle answered. */
  rateLimitPercentUsed: number | null;
}

/**
 * The settings a chunk is packed under. Packing the same rows with the same settings at the same time gives the same
 * batches, with the same source_request_ids: that is what lets a chunk be sent again after a crash without mParticle
 * counting anything twice.
 */
export interface PackSettings {
  /** Selected event types, sorted. */
  types: string[];
  environment: 'production' | 'development';
  identity: IdentityKey;
  eventNames: Record<string, string>;
  merge: boolean;
  /** Sources taken, sorted; absent: every source (also in chunks recorded before sources existed). */
  sources?: string[];
  /**
   * The feed's platform filter (which of the partition's events are its own); it changes when other feeds are given
   * or lose slots. Absent in chunks recorded before it was kept: then the feed's filter of now stands in.
   */
  platforms?: { platformsIn?: string[]; platformsNotIn?: string[] };
  /** The export's field transformations, in order; absent: none (also in chunks recorded before they existed). */
  transformations?: Transformation[];
}

/**
 * A chunk being sent: the log range (cursor, to] of one lane. Its batches are those of `plan`: the rows of the range
 * of the plan's types, minus `exclude`, packed under the plan's settings at time `at`. `done` are the seqs whose fate
 * is recorded (delivered, dead-lettered or dropped, committed with their counters); a batch is done whole or not at
 * all. `unsure` names the batches mParticle may have received without our knowing (an ambiguous answer, or a crash
 * while they were in the air): they are sent again exactly as they were, with the same source_request_id, even when
 * the export's settings changed since. Null means any batch not done may have been sent (the lane was sending when
 * this was written).
 */
export interface Inflight {
  to: number;
  at: number;
  /**
   * Null only for a chunk recorded by a version that counted done requests instead (`legacyDone`). `after`: the plan
   * covers only rows past it (a chunk a feed carried over when it took over other slots and its cursor moved back).
   */
  plan: { settings: PackSettings; exclude: number[]; after?: number } | null;
  done: number[];
  unsure: string[] | null;
  /** Chunks recorded before plans were kept: the first `legacyDone` requests of the chunk are done. */
  legacyDone: number;
  /**
   * A fingerprint of the key the chunk's batches went out under (`keyTag`), so that a regroup hands the batches
   * mParticle may have to the feed that sends under that key now. Absent in chunks recorded before it was kept.
   */
  key?: string;
  /**
   * The feed whose source_request_ids the batches carry, when a regroup handed the chunk to a feed with another id
   * (the same key, other slots): they are resent as they were, under the ids mParticle may have seen.
   */
  feed?: string;
}

/**
 * Events a cursor took over from other feeds when the export's credentials regrouped its slots into feeds: a row that
 * the old feed read (the platform filter) with seq up to `seq`, or in `done` (its chunk in flight), already has a
 * fate, so the new feed passes it without sending or counting it again.
 */
export interface PassedRule {
  platformsIn?: string[];
  platformsNotIn?: string[];
  seq: number;
  done: number[];
}

export interface Cursor {
  exportId: string;
  feed: string;
  partition: number;
  /** 0 for the live stream, the replay's generation otherwise. */
  generation: number;
  seq: number;
  /** A read being sent; null when the sender is between reads. */
  inflight: Inflight | null;
  /** What this cursor took over from feeds it replaced (empty once it is past them). */
  passed: PassedRule[];
  /**
   * A token the store gives every write of the row: a sender writes only over the version it knows, so a row
   * rewritten meanwhile (regrouped by another process, say) is never overwritten with stale progress.
   */
  version?: number;
}

export interface Replay {
  exportId: string;
  generation: number;
  /** Event time range, UNIX seconds, inclusive. */
  fromTime: number;
  toTime: number;
  /** The log head when the replay was asked for: it re-sends nothing newer. */
  uptoSeq: number;
  createdAt: number;
  finishedAt: number | null;
}

/** What became of the events one replay re-sent, per outcome (kept after its cursors go). */
export interface ReplayCount {
  generation: number;
  outcome: Outcome;
  count: number;
}

/** A replay as asked for: the store gives it its generation, and it has not finished. */
export type NewReplay = Omit<Replay, 'generation' | 'finishedAt'>;

export interface Lease {
  exportId: string;
  feed: string;
  partition: number;
  owner: string;
  expiresAt: number;
  acquiredAt: number;
}

export interface ExportErrorEntry {
  exportId: string;
  feed: string | null;
  message: string;
  at: number;
}

/** The built-in source: the service's own ingest token (CURRENTS_INGEST_TOKEN), as it was before sources existed. */
export const DEFAULT_SOURCE = 'default';

export type SourceKind = 'http' | 's3' | 'azure_blob' | 'gcs';
export const SOURCE_KINDS: readonly SourceKind[] = ['http', 's3', 'azure_blob', 'gcs'];

export type SourceState = 'active' | 'paused';

/** What every storage source has: where under the bucket to look, how often, and from when. */
export interface StorageSettings {
  /** Key prefix under which Braze writes (`<prefix>/dataexport.<cluster>.<S3|AzureBlob|GCS>.integration.<id>/...`). */
  prefix: string;
  pollIntervalSeconds: number;
  /** Import objects from this time (ms) on, a backfill; null: start from the newest hour when the source starts. */
  from: number | null;
}

/** Settings of a source by kind. Secrets are encrypted at rest (`...Enc`: text produced by the secrets module). */
export type SourceConfig =
  | { kind: 'http' }
  | ({
      kind: 's3';
      bucket: string;
      region: string;
      /** An S3-compatible endpoint (MinIO, a proxy); null: AWS. */
      endpoint: string | null;
      forcePathStyle: boolean;
      /** null (with no secret): the standard AWS credential chain (environment, profile, instance role). */
      accessKeyId: string | null;
      secretAccessKeyEnc: string | null;
    } & StorageSettings)
  | ({ kind: 'azure_blob'; container: string; connectionStringEnc: string } & StorageSettings)
  | ({
      kind: 'gcs';
      bucket: string;
      /** A service account key; null: Application Default Credentials. */
      credentialsJsonEnc: string | null;
      /** Another JSON API endpoint (an emulator); null: Google's. */
      apiEndpoint: string | null;
    } & StorageSettings);

/** A source as stored. The API never returns its token (shown once, at creation) nor its secrets. */
export interface SourceRecord {
  id: string;
  /**
   * A small number the store gives each source, written in every log row instead of the id (cheaper on the append
   * path and in the log). Never reused; a deleted source keeps it, and its id, so its logged events still name it.
   */
  key: number;
  name: string;
  state: SourceState;
  /** sha256 (hex) of the source's own ingest token (http sources); null: none (the default source uses the service's). */
  tokenHash: string | null;
  config: SourceConfig;
  createdAt: number;
  updatedAt: number;
}

/** A source as created: the store gives it its key. */
export type NewSource = Omit<SourceRecord, 'key'>;

/** What a source received: events written to the log under it (duplicates are not), kept by the appends. */
/** An event dated more than this after it was received is future-dated: kept, counted and warned of. */
export const FUTURE_DATED_SECONDS = 86_400;

/** Future-dated events a source sent, of one type (kept by the appends, like SourceTotals). */
export interface FutureDated {
  source: string;
  type: string;
  events: number;
  /** The newest event time among them, UNIX seconds. */
  newestEventTime: number;
  /** When the last of them was received, ms. */
  lastReceivedAt: number;
}

export interface SourceTotals {
  source: string;
  events: number;
  /** When the last of them was written, ms; null when none was. */
  lastReceivedAt: number | null;
  /** The newest event time (UNIX seconds) among them: how far the source has caught up. */
  newestEventTime: number | null;
}

/**
 * What a source is doing, written by whatever works it (the storage pollers) and shown in its status. HTTP sources
 * have none: their pushes speak for themselves.
 */
export interface SourceStatus {
  /** A sentence on what it is doing ("listing date=2026-11-01-10", "waiting for the next poll"). */
  message: string | null;
  /** The last failure with what to do (access denied, missing bucket, an unreadable object); null once it works. */
  lastError: string | null;
  lastErrorAt: number | null;
  /** When it last finished a round of work (a poll), ms. */
  lastRunAt: number | null;
  /** Storage sources: the time of the newest object imported (its `date=` hour or modification time), ms. */
  newestObjectAt: number | null;
  updatedAt: number;
}

/**
 * One object of a storage source as its poller recorded it after reading it (its events committed first). An object
 * listed again with the same size and etag is not read again; a changed one (replaced in the bucket) is.
 */
export interface ObjectCheckpoint {
  /** The object's key (S3, GCS name, Azure blob name). */
  object: string;
  size: number;
  /** S3 and Azure: the ETag; GCS: the generation. */
  etag: string;
  /** Its `date=` hour (ms), or null for an object outside Braze's layout (those are never pruned). */
  hour: number | null;
  importedAt: number;
  /** Events read from it (stored, duplicates and quarantined alike). */
  events: number;
  /** Why it could not be read whole (with the byte offset), or null. */
  error: string | null;
}

/** Where a storage source's poller stands, kept in the store so a restart or another process goes on from there. */
export interface SourceCursor {
  /** The source's `from` setting this cursor was started from (ms, or null): a changed setting starts it again. */
  from: number | null;
  /** First hour (ms) imported: objects of earlier hours (and undated ones modified before it) are left alone. */
  start: number;
  /** Polls list from this hour (ms): every hour before it was listed after it had settled, and its objects read. */
  hour: number;
}

/**
 * The lease key ("export" part) under which a storage source is polled by one process at a time: the delivery lease
 * table with a reserved name no export id can take (export ids are generated as `exp_...`); the feed part is the
 * source id, the partition 0.
 */
export const SOURCE_LEASE = '~sources';

/**
 * Team use. A token is a named bearer credential of the admin API with a role: `viewer` reads, `operator` also acts
 * (pause, resume, replay, retries, test events), `admin` also creates, edits and deletes exports, sources and tokens.
 * Only the SHA-256 of its value is stored.
 */
export type TokenRole = 'viewer' | 'operator' | 'admin';

export interface NewToken {
  id: string;
  name: string;
  role: TokenRole;
  /** Hex SHA-256 of the token's value. */
  hash: string;
  createdAt: number;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: TokenRole;
  hash: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** One changed field of an audited change; a secret's values are never kept, only that it changed. */
export interface AuditChange {
  field: string;
  before?: unknown;
  after?: unknown;
  /** The field is a secret: it changed (was set, replaced or removed); its values are not recorded. */
  secret?: true;
}

/** What an audited change acted on. */
export type AuditTargetKind = 'export' | 'source' | 'token' | 'quarantine' | 'credentials';

export interface NewAuditEntry {
  at: number;
  /** The name of the token that made the change (`admin (built-in)`, a named token, or `cli (<user>)`). */
  tokenName: string;
  /** e.g. export.update, export.pause, source.delete, token.create, dead_letters.retry. */
  action: string;
  targetKind: AuditTargetKind;
  /** The export, source or token id; null when the change had no single target (a check before creating). */
  targetId: string | null;
  changes: AuditChange[];
  /** What else the change said (a replay's range, how many retries were delivered). */
  detail: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
}
