-- The first schema of the SQLite store. Applied once, in one transaction; PRAGMA user_version records it.

-- The event log. `seq` is the rowid with AUTOINCREMENT so a seq is never handed out twice, even after retention
-- removed every row (sqlite_sequence keeps the high-water mark). A duplicate dropped by ON CONFLICT still consumes a
-- seq, so seqs have gaps: readers rely on order, never on density. The columns exports filter on sit beside the
-- payload so a read never parses JSON.
CREATE TABLE event_log (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id         TEXT    NOT NULL,
  type             TEXT    NOT NULL,
  part             INTEGER NOT NULL,
  external_user_id TEXT,
  platform         TEXT,
  app_id           TEXT,
  event_time       INTEGER NOT NULL,
  received_at      INTEGER NOT NULL,
  payload          TEXT    NOT NULL
);
-- Dedup at ingest.
CREATE UNIQUE INDEX event_log_event_id ON event_log (event_id);
-- `read` walks one partition in seq order (the rowid is the implicit last column of every index).
CREATE INDEX event_log_part ON event_log (part);
-- Retention, seqBefore and the oldest received_at; covering for the retention scan (received_at, part, seq).
CREATE INDEX event_log_received ON event_log (received_at, part);

-- Running totals of the log, kept in the same transactions that insert and delete rows, so stats are O(1).
CREATE TABLE log_totals (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  events INTEGER NOT NULL,
  bytes  INTEGER NOT NULL
);
INSERT INTO log_totals (id, events, bytes) VALUES (1, 0, 0);

CREATE TABLE quarantine (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  reason      TEXT    NOT NULL,
  source      TEXT    NOT NULL, -- JSON of QuarantineSource
  raw         TEXT    NOT NULL,
  event_type  TEXT,
  received_at INTEGER NOT NULL
);

CREATE TABLE exports (
  id         TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  record     TEXT    NOT NULL -- JSON of ExportRecord (secrets already encrypted by the caller)
);

CREATE TABLE cursors (
  export_id   TEXT    NOT NULL,
  feed        TEXT    NOT NULL,
  part        INTEGER NOT NULL,
  generation  INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  inflight_to INTEGER,
  PRIMARY KEY (export_id, feed, part, generation)
) WITHOUT ROWID;

CREATE TABLE feed_states (
  export_id TEXT NOT NULL,
  feed      TEXT NOT NULL,
  state     TEXT NOT NULL, -- JSON of FeedState
  PRIMARY KEY (export_id, feed)
) WITHOUT ROWID;

CREATE TABLE counters (
  export_id TEXT    NOT NULL,
  feed      TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  outcome   TEXT    NOT NULL,
  count     INTEGER NOT NULL,
  PRIMARY KEY (export_id, feed, type, outcome)
) WITHOUT ROWID;

CREATE TABLE delivery_minutes (
  export_id TEXT    NOT NULL,
  feed      TEXT    NOT NULL,
  minute    INTEGER NOT NULL, -- ms at the start of the minute
  count     INTEGER NOT NULL,
  PRIMARY KEY (export_id, minute, feed)
) WITHOUT ROWID;

CREATE TABLE dead_letters (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  export_id       TEXT    NOT NULL,
  feed            TEXT    NOT NULL,
  batch           TEXT    NOT NULL,
  event_ids       TEXT    NOT NULL, -- JSON array
  types           TEXT    NOT NULL, -- JSON array
  status          INTEGER,
  error           TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER
);
CREATE INDEX dead_letters_export ON dead_letters (export_id, id);

CREATE TABLE drops (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  export_id  TEXT    NOT NULL,
  feed       TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  count      INTEGER NOT NULL,
  first_time INTEGER NOT NULL,
  last_time  INTEGER NOT NULL,
  reason     TEXT    NOT NULL,
  dropped_at INTEGER NOT NULL
);
CREATE INDEX drops_export ON drops (export_id, id);

CREATE TABLE export_errors (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  export_id TEXT    NOT NULL,
  feed      TEXT,
  message   TEXT    NOT NULL,
  at        INTEGER NOT NULL
);
CREATE INDEX export_errors_recent ON export_errors (export_id, at, id);

CREATE TABLE replays (
  export_id   TEXT    NOT NULL,
  generation  INTEGER NOT NULL,
  from_time   INTEGER NOT NULL,
  to_time     INTEGER NOT NULL,
  upto_seq    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (export_id, generation)
) WITHOUT ROWID;

CREATE TABLE leases (
  export_id   TEXT    NOT NULL,
  feed        TEXT    NOT NULL,
  part        INTEGER NOT NULL,
  owner       TEXT    NOT NULL,
  expires_at  INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  PRIMARY KEY (export_id, feed, part)
) WITHOUT ROWID;

CREATE TABLE processes (
  owner     TEXT    PRIMARY KEY,
  role      TEXT    NOT NULL,
  last_seen INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
