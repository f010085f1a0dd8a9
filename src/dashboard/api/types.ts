/** The shapes the service's HTTP API answers with, as the dashboard reads them (see GET /openapi.json). */

export type Slot = 'ios' | 'android' | 'web' | 'unbound';
export const SLOTS: readonly Slot[] = ['ios', 'android', 'web', 'unbound'];

export type FeedPhase = 'flowing' | 'retrying' | 'credentials_rejected' | 'paused';

export const PODS = ['US1', 'US2', 'EU1', 'AU1'] as const;
export type Pod = (typeof PODS)[number];

export type Destination = { pod: Pod } | { base_url: string };

export interface ExportView {
  id: string;
  name: string;
  contact_email: string;
  destination: Record<string, string>;
  environment: 'production' | 'development';
  feeds: Partial<Record<Slot, { key: string; secret_set: boolean }>>;
  events: string[];
  identity: string;
  event_names: Record<string, string>;
  merge_batches: boolean;
  hold_window_hours: number;
  rate_limit: number;
  /** null: every source, also those added later. */
  sources: string[] | null;
  transformations: Transformation[];
  /** What to know about these settings (an identity hashed or removed). */
  warnings: string[];
  state: 'active' | 'paused';
  start_seq: number;
  created_at: string;
  updated_at: string;
}

export type TransformAction = 'remove' | 'hash';

export interface Transformation {
  field: string;
  action: TransformAction;
}

/** GET /v1/catalog `fields`: a field a transformation may name, its value types and the event types having it. */
export interface CatalogField {
  name: string;
  value_types: string[];
  types: string[];
}

export interface ListedExport extends ExportView {
  feed_states: {
    id: string;
    state: FeedPhase;
    backlog_events: number;
    last_delivery_at: string | null;
    drop_deadline: string | null;
  }[];
  events_per_second: number;
  backlog_events: number;
  last_delivery_at: string | null;
}

export interface FeedStatus {
  id: string;
  slots: Slot[];
  key: string;
  state: FeedPhase;
  held_since: string | null;
  drop_deadline: string | null;
  held_events: number;
  backlog_events: number;
  oldest_waiting_at: string | null;
  last_delivery_at: string | null;
  last_probe_at: string | null;
  last_error: string | null;
  rate_limit_percent_used: number | null;
}

export interface TypeStatus {
  type: string;
  mparticle_name: string | null;
  selected: boolean;
  delivered: number;
  skipped_no_external_user_id: number;
  dead_lettered: number;
  dropped: number;
  historical: number;
}

export interface ExportStatus {
  id: string;
  name: string;
  state: 'active' | 'paused';
  feeds: FeedStatus[];
  event_types: TypeStatus[];
  totals: { delivered: number; skipped: number; dead_lettered: number; dropped: number; historical: number };
  events_per_second: number;
  dead_letters: number;
  drops: {
    feed: string;
    type: string;
    count: number;
    first_event_time: string | null;
    last_event_time: string | null;
    reason: string;
    dropped_at: string | null;
  }[];
  recent_errors: { feed: string; message: string; at: string | null }[];
  /** The sources the export takes, with what each received and what waits for this export. */
  sources: (SourceFigures & {
    id: string;
    name: string;
    kind: SourceKind;
    state: 'active' | 'paused';
    backlog_events: number;
    oldest_waiting_at: string | null;
  })[];
  all_sources: boolean;
  /** Each transformation with the selected types having its field and the values left unchanged (not strings). */
  transformations: (Transformation & { selected_types_with_field: number; not_string: number })[];
  warnings: string[];
}

export type SourceKind = 'http' | 's3' | 'azure_blob' | 'gcs';

/** What a source received, when, and how far behind now its newest event (or object) is. */
export interface SourceFigures {
  received_events: number;
  last_received_at: string | null;
  newest_event_time: string | null;
  lag_seconds: number | null;
}

/** GET /v1/sources/:id: a source's settings; secrets only as "set", its token never. */
export interface SourceView {
  id: string;
  name: string;
  kind: SourceKind;
  state: 'active' | 'paused';
  created_at: string;
  updated_at: string;
  own_token?: boolean;
  push?: string;
  bucket?: string;
  container?: string;
  prefix?: string;
  region?: string;
  endpoint?: string | null;
  force_path_style?: boolean;
  access_key_id?: string | null;
  secret_access_key_set?: boolean;
  connection_string_set?: boolean;
  credentials_json_set?: boolean;
  api_endpoint?: string | null;
  poll_interval_seconds?: number;
  from?: string | null;
}

export interface ListedSource extends SourceView, SourceFigures {
  last_error: string | null;
}

export interface SourceStatusView extends SourceFigures {
  id: string;
  message: string | null;
  last_error: string | null;
  last_error_at: string | null;
  last_run_at: string | null;
  newest_object_at: string | null;
  exports: { id: string; name: string }[];
}

export interface SeriesPoint {
  feed: string;
  /** Start of the minute, ms since the epoch. */
  minute: number;
  count: number;
}

export interface DeadLetter {
  id: number;
  feed: string;
  status: number | null;
  error: string;
  event_ids: string[];
  types: string[];
  attempts: number;
  created_at: string;
  last_attempt_at: string | null;
  batch: unknown;
}

export interface CatalogType {
  type: string;
  group: string;
  group_order: number;
  mappable: boolean;
  default_selected: boolean;
  mparticle_name: string | null;
  platform_bound: boolean;
}

export interface CredentialCheck {
  slots: Slot[];
  key: string;
  accepted: boolean;
  status: number | null;
  message: string;
}

export interface QuarantineRecord {
  id: number;
  reason: string;
  source: Record<string, unknown>;
  event_type: string | null;
  received_at: string;
  raw: string;
}

export interface QuarantinePage {
  total: number;
  records: QuarantineRecord[];
  next_after: number | null;
}

export interface QuarantineRetry {
  retried: number;
  stored: number;
  duplicates: number;
  still_quarantined: { id: number; reason: string }[];
}

export interface TestEventsResult {
  sent: { type: string; id: string; mparticle_name: string | null }[];
  stored: number;
}

export type Fate =
  | 'source_not_selected'
  | 'not_selected'
  | 'test_of_other_export'
  | 'before_start'
  | 'no_feed'
  | 'skipped'
  | 'waiting'
  | 'in_flight'
  | 'dead_lettered'
  | 'delivered'
  | 'delivered_or_dropped';

/** GET /v1/events/:id: one event and, per export, what became of it. */
export interface EventTrace {
  event_id: string;
  log: {
    seq: number;
    partition: number;
    source: string;
    source_name: string | null;
    type: string;
    time: string;
    received_at: string;
    external_user_id: string | null;
    platform: string | null;
    app_id: string | null;
  };
  event: unknown;
  exports: {
    export_id: string;
    export_name: string;
    fate: Fate;
    message: string;
    feed: string | null;
    cursor: number | null;
    drop_deadline: string | null;
    dead_letters: { id: number; status: number | null; error: string; created_at: string }[];
    mparticle: { envelope: unknown; event: unknown } | null;
  }[];
}
