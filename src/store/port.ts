import type {
  CounterDelta,
  CounterRow,
  Cursor,
  DeadLetter,
  Drop,
  ExportErrorEntry,
  ExportRecord,
  FeedState,
  Inflight,
  Lease,
  LogRow,
  NewDeadLetter,
  NewDrop,
  NewEvent,
  NewQuarantine,
  NewReplay,
  PassedRule,
  QuarantineRecord,
  Replay,
  ReplayCount,
  NewSource,
  ObjectCheckpoint,
  SourceCursor,
  SourceRecord,
  SourceStatus,
  SourceTotals,
  FutureDated,
  AuditEntry,
  NewAuditEntry,
  NewToken,
  TokenRecord,
} from '../types.js';

/**
 * The one port to storage. It speaks the domain (append, read from a cursor, commit progress, claim a lease,
 * dead-letter, record a drop), takes arrays, and is asynchronous so that the SQLite and PostgreSQL adapters
 * implement it unchanged. No SQL lives outside the adapters. One contract suite (test/store/contract.ts) runs
 * against every adapter.
 */

export interface AppendResult {
  /** Events written to the log. */
  stored: number;
  /** Indexes (into the input array) of events dropped because their event id was already in the log. */
  duplicateIndexes: number[];
  /** Highest seq written by this call, or null when nothing was written. */
  lastSeq: number | null;
}

export interface ReadQuery {
  partition: number;
  /** Exclusive lower bound. */
  afterSeq: number;
  /** Inclusive upper bound (a replay's end, or an in-flight range being re-read). */
  uptoSeq?: number;
  /** Only these event types; undefined means all. */
  types?: readonly string[];
  /**
   * Routing filter on the `platform` column. `include`: rows whose platform is one of these. `exclude`: rows whose
   * platform is null or not one of these. Both may be given (a feed serving ios and unbound): a row matches either.
   */
  platformsIn?: readonly string[];
  platformsNotIn?: readonly string[];
  /** Event time range (UNIX seconds, inclusive), for replays. */
  fromTime?: number;
  toTime?: number;
  /** Only events from these sources (ids; deleted sources included); undefined means all. */
  sources?: readonly string[];
  limit: number;
}

export interface ReadResult {
  rows: LogRow[];
  /**
   * Every row of the partition with afterSeq < seq <= scannedTo was looked at: those not in `rows` did not match.
   * A cursor may move to scannedTo once `rows` are dealt with.
   */
  scannedTo: number;
}

/** What a feed still has to send in one partition (a read's filters, without limit). */
export type BacklogQuery = Omit<ReadQuery, 'limit'>;

export interface Backlog {
  events: number;
  /** received_at of the oldest waiting event, ms; null when none waits. */
  oldestReceivedAt: number | null;
}

export interface LogStats {
  events: number;
  /** Approximate payload bytes held. */
  bytes: number;
  headSeq: number;
  oldestReceivedAt: number | null;
}

/** One atomic step of a sender: move a cursor and record what happened to the events it passed. */
export interface Progress {
  exportId: string;
  feed: string;
  partition: number;
  generation: number;
  /** The cursor after this step. */
  seq: number;
  /** The chunk still being sent after this step, or null when none is. */
  inflight: Inflight | null;
  /** The cursor's rules for events it took over from replaced feeds, after this step. */
  passed: PassedRule[];
  /**
   * Write only over this version of the cursor row (`expect`), and give it `next`: when the row was rewritten or
   * removed since, nothing is written and StaleCursorError is thrown.
   */
  cas?: CursorCas;
  counters: CounterDelta[];
  deadLetters: NewDeadLetter[];
  drops: NewDrop[];
  /** Events delivered in this step, for the per-minute chart; `at` is ms. */
  delivered: { count: number; at: number } | null;
  /**
   * Several processes: commit only if `owner` still holds the lease of this (export, feed, partition) at `now`;
   * otherwise nothing is written and LeaseLostError is thrown (another process took the partition over).
   */
  fence?: { owner: string; now: number };
}

/** A compare-and-set on a cursor row: the version the writer knows, and the one its write gives the row. */
export interface CursorCas {
  expect: number;
  next: number;
}

export interface StoredFeedState {
  state: FeedState;
  version: number;
}

export interface QuarantineQuery {
  limit: number;
  /** Return records with id greater than this (paging). */
  afterId?: number;
  /** true: only the dismissed records; otherwise only those still open. */
  dismissed?: boolean;
}

export interface QuarantineCounts {
  /** Records not dismissed. */
  open: number;
  dismissed: number;
  /** Open records last refused by another validation than the one given (or by an unrecorded one). */
  refusedByOther: number;
}

export interface DeadLetterQuery {
  limit: number;
  afterId?: number;
  /** Only dead letters whose batch holds this event. */
  eventId?: string;
}

export interface DeliveryPoint {
  feed: string;
  /** Start of the minute, ms. */
  minute: number;
  count: number;
}

export interface StoreCapabilities {
  /** Several processes may share this store (PostgreSQL); leases then decide who sends what. */
  readonly multiProcess: boolean;
  /** Retention drops whole time partitions rather than deleting rows. */
  readonly partitionedRetention: boolean;
}

export interface EventLogPort {
  /**
   * Append events in one transaction; duplicates of event ids already in the log are dropped and reported (whatever
   * source they came from: the first one logged keeps the event). Each event's source must exist (or have existed):
   * an unknown source id fails the whole call.
   */
  append(events: readonly NewEvent[]): Promise<AppendResult>;
  read(query: ReadQuery): Promise<ReadResult>;
  headSeq(): Promise<number>;
  /** The highest seq of events received before `ms` (0 when none): where an export asked to start at a time begins. */
  seqBefore(ms: number): Promise<number>;
  stats(): Promise<LogStats>;
  /** Count what a feed has left in one partition (for status and metrics; not on the hot path). */
  countBacklog(query: BacklogQuery): Promise<Backlog>;
  /** The same count, by the source the events came from (sources with nothing waiting are absent). */
  countBacklogBySource(query: BacklogQuery): Promise<Record<string, Backlog>>;
  /** The logged event with this id (what became of one event: not on the hot path), or null when it is not in the log. */
  findEvent(eventId: string): Promise<LogRow | null>;
  /**
   * Remove log rows received before `olderThanMs` that every export's cursors (live and replays, every feed) are
   * past. Returns the number of rows removed.
   */
  applyRetention(olderThanMs: number): Promise<number>;
}

export interface QuarantinePort {
  /**
   * Keep refused input. A record from a file that is already in quarantine (same file, offset, index and raw text)
   * is not added again, so importing the same files twice stores nothing new.
   */
  addQuarantine(records: readonly NewQuarantine[]): Promise<void>;
  listQuarantine(query: QuarantineQuery): Promise<QuarantineRecord[]>;
  getQuarantine(ids: readonly number[]): Promise<QuarantineRecord[]>;
  /** Remove records (after a successful retry). */
  deleteQuarantine(ids: readonly number[]): Promise<void>;
  /** Replace the reason (and the validation that refused it, when given) of a record that failed again. */
  updateQuarantineReason(id: number, reason: string, validator?: string): Promise<void>;
  /** Open (not dismissed) records. */
  countQuarantine(): Promise<number>;
  quarantineCounts(validator: string): Promise<QuarantineCounts>;
  /**
   * Mark open records dismissed at `at` with a note (who or why); they are kept but leave the list and the counts.
   * Returns the ids that were open and are now dismissed.
   */
  dismissQuarantine(ids: readonly number[], at: number, note: string): Promise<number[]>;
}

export interface ExportPort {
  createExport(record: ExportRecord): Promise<void>;
  getExport(id: string): Promise<ExportRecord | null>;
  listExports(): Promise<ExportRecord[]>;
  /** Replace the stored record (the caller read it, changed it, and bumps updatedAt). */
  updateExport(record: ExportRecord): Promise<void>;
  /**
   * Replace the stored record only if it is still the one with `expectUpdatedAt`: of two changes made from the same
   * record at once (a PATCH and a resume), one is written and the other is refused (false) and made again from the
   * new record, so neither undoes the other. Throws when the export is gone.
   */
  swapExport(record: ExportRecord, expectUpdatedAt: number): Promise<boolean>;
  /** Delete the export with its cursors, feed states, replays and leases: its hold on the log is released. */
  deleteExport(id: string): Promise<void>;
}

export interface SourcePort {
  /**
   * Add a source; the store gives it its key. Throws ConflictError when the id is taken, by a source that exists or
   * by one that was deleted (a deleted source's id stays reserved: the log may still hold events under it).
   */
  createSource(source: NewSource): Promise<SourceRecord>;
  /** A source that was not deleted, or null. The built-in source `default` always exists. */
  getSource(id: string): Promise<SourceRecord | null>;
  /** Every source not deleted, in the order they were created (`default` first). */
  listSources(): Promise<SourceRecord[]>;
  /** Replace the stored record (the caller read it, changed it and bumped updatedAt); throws when it was deleted. */
  updateSource(record: SourceRecord): Promise<void>;
  /**
   * Delete a source: it takes no more events; its status, checkpoints, cursor and poll lease go; the log keeps its
   * events under its id.
   */
  deleteSource(id: string, at: number): Promise<void>;
  /** What each source received, kept by the appends in their transactions (sources that received nothing absent). */
  sourceTotals(): Promise<SourceTotals[]>;
  /**
   * Events dated more than FUTURE_DATED_SECONDS after they were received, by source and type, kept by the appends in
   * their transactions (duplicates not counted).
   */
  futureDated(): Promise<FutureDated[]>;
  /** What the worker of a source (a storage poller) last said of it, or null. */
  getSourceStatus(id: string): Promise<SourceStatus | null>;
  /** Overwrite what a source's worker says of it; throws when there is no such source. */
  putSourceStatus(id: string, status: SourceStatus): Promise<void>;

  /** The checkpoints kept of these objects of a storage source (objects never read are absent). */
  getObjectCheckpoints(id: string, objects: readonly string[]): Promise<ObjectCheckpoint[]>;
  /** Record objects read (a checkpoint of the same object is replaced); throws when there is no such source. */
  putObjectCheckpoints(id: string, checkpoints: readonly ObjectCheckpoint[]): Promise<void>;
  /**
   * Forget checkpoints of objects whose `date=` hour is before `beforeHour` (ms): the poller never lists those hours
   * again. Undated ones are kept. Returns how many went.
   */
  pruneObjectCheckpoints(id: string, beforeHour: number): Promise<number>;
  getSourceCursor(id: string): Promise<SourceCursor | null>;
  /** Throws when there is no such source. */
  putSourceCursor(id: string, cursor: SourceCursor): Promise<void>;
}

export interface DeliveryStatePort {
  getCursors(exportId: string): Promise<Cursor[]>;
  /**
   * Create or overwrite cursors (an export's start, or feeds regrouped after a credentials change), each with its
   * `version` (a new one when absent).
   */
  putCursors(cursors: readonly Cursor[]): Promise<void>;
  /**
   * Regroup one generation's cursors atomically: only if every cursor of `expected` is still at that version (none
   * moved meanwhile), write `put` (with their versions) and remove the cursors of `removeFeeds`; false otherwise,
   * with nothing written.
   */
  replaceCursors(
    exportId: string,
    generation: number,
    expected: readonly { feed: string; partition: number; version: number }[],
    put: readonly Cursor[],
    removeFeeds: readonly string[],
  ): Promise<boolean>;
  /** Remove the cursors of a feed that no longer exists (of one generation, or of all when none is given). */
  deleteCursors(exportId: string, feed: string, generation?: number): Promise<void>;
  /** Record a read about to be sent (null clears it); with `cas`, only over that version of the row. */
  setInflight(
    exportId: string,
    feed: string,
    partition: number,
    generation: number,
    inflight: Inflight | null,
    cas?: CursorCas,
  ): Promise<void>;
  /** Set a cursor and its in-flight read, and record counters, dead letters, drops and delivery points atomically. */
  commitProgress(progress: Progress): Promise<void>;

  getFeedStates(exportId: string): Promise<Record<string, FeedState>>;
  /** Overwrite a feed's state whatever its version (tests, tools); senders use swapFeedState. */
  putFeedState(exportId: string, feed: string, state: FeedState): Promise<void>;
  getFeedState(exportId: string, feed: string): Promise<StoredFeedState | null>;
  /**
   * Compare-and-set: write the state only if the stored version is still `version` (0: no state stored yet), so
   * that of several processes deciding the same change (a hold, a probe, a resume) exactly one does. True when
   * written; the version is then `version + 1`.
   */
  swapFeedState(exportId: string, feed: string, version: number, state: FeedState): Promise<boolean>;

  getCounters(exportId: string): Promise<CounterRow[]>;
  deliverySeries(exportId: string, sinceMs: number): Promise<DeliveryPoint[]>;

  listDeadLetters(exportId: string, query: DeadLetterQuery): Promise<DeadLetter[]>;
  getDeadLetters(exportId: string, ids: readonly number[]): Promise<DeadLetter[]>;
  /**
   * A dead letter was delivered on retry at `at` (ms): remove it, apply the counter deltas and add its delivered
   * events to the per-minute series. False when it was already resolved (nothing is counted twice).
   */
  resolveDeadLetter(id: number, counters: readonly CounterDelta[], at: number): Promise<boolean>;
  /** A retry failed again: count the attempt and keep the new error. */
  failDeadLetter(id: number, status: number | null, error: string, at: number): Promise<void>;
  countDeadLetters(exportId: string): Promise<number>;

  listDrops(exportId: string): Promise<Drop[]>;

  addError(entry: ExportErrorEntry): Promise<void>;
  /** Most recent first; the store keeps at least the last 200 per export. */
  listErrors(exportId: string, limit: number): Promise<ExportErrorEntry[]>;

  /**
   * Record a replay under the export's next generation (one above the highest it has had) and return it. The
   * generation is chosen and written atomically: concurrent calls, from any number of processes, each get their own.
   * Throws when the export does not exist.
   */
  createReplay(replay: NewReplay): Promise<Replay>;
  listReplays(exportId: string): Promise<Replay[]>;
  finishReplay(exportId: string, generation: number, at: number): Promise<void>;
  /**
   * What the replays of an export did, per generation and outcome: the counters a commit of a replay's cursor
   * (generation > 0) adds, kept in the same transaction as the export's own counters.
   */
  replayCounts(exportId: string): Promise<ReplayCount[]>;
}

export interface LeasePort {
  /**
   * Take or renew the leases on these (export, feed, partition) keys for `owner` until now + ttlMs. A key held by
   * another owner whose lease has not expired is not taken. Returns the leases `owner` holds afterwards among those asked.
   */
  claimLeases(owner: string, keys: readonly LeaseKey[], now: number, ttlMs: number): Promise<Lease[]>;
  releaseLeases(owner: string, keys: readonly LeaseKey[]): Promise<void>;
  listLeases(exportId?: string): Promise<Lease[]>;
  /** Processes alive (they renewed a heartbeat since `sinceMs`), so partitions can be spread evenly. */
  heartbeat(owner: string, now: number, role: string): Promise<void>;
  liveProcesses(sinceMs: number): Promise<{ owner: string; role: string; lastSeen: number }[]>;
}

export interface LeaseKey {
  exportId: string;
  feed: string;
  partition: number;
}

export interface MetaPort {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
}

/** Named tokens of the admin API (hashes only) and the audit log of changes. */
export interface TeamPort {
  /** Add a token; throws ConflictError when a token that is not revoked already has this name. */
  createToken(token: NewToken): Promise<TokenRecord>;
  /** Tokens not revoked, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
  /** The token that is not revoked with this hash, or null: read each time, so a revocation counts at once. */
  findToken(hash: string): Promise<TokenRecord | null>;
  /** Revoke a token: the revoked record, or null when there is no such token not revoked. */
  revokeToken(id: string, at: number): Promise<TokenRecord | null>;
  /** Record a use of the token (callers write it at most every so often, not on each request). */
  touchToken(id: string, at: number): Promise<void>;

  addAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Newest first: entries at or after `since` (ms), of one target when given, at most `limit`, ids below `beforeId`. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Remove entries older than `olderThanMs`; returns how many went. */
  pruneAudit(olderThanMs: number): Promise<number>;
}

export interface AuditQuery {
  targetKind?: string;
  targetId?: string;
  since?: number;
  beforeId?: number;
  limit: number;
}

export interface Store
  extends EventLogPort, QuarantinePort, ExportPort, SourcePort, DeliveryStatePort, LeasePort, MetaPort, TeamPort {
  readonly capabilities: StoreCapabilities;
  /** Throws when the store cannot be reached or written. */
  ping(): Promise<void>;
  /** Let go of memory kept only for speed (caches); the service calls it when it has gone quiet after work. */
  releaseMemory(): Promise<void>;
  close(): Promise<void>;
}
