-- The first schema of the PostgreSQL store. Applied once, in one transaction, under an advisory lock; the row in
-- schema_migrations records it. Every name is unqualified: the session's search_path is the store's schema.

-- The event log, partitioned by RANGE of seq into chunks of `partitionSize` seqs (log_partitions lists them; the
-- adapter creates them ahead of the head and retention drops whole chunks). seq is drawn under an advisory lock so
-- appends commit in seq order; a chunk's rows are written in seq order and never updated or deleted.
CREATE TABLE event_log (
  seq              bigint  NOT NULL,
  event_id         text    NOT NULL,
  type             text    NOT NULL,
  part             integer NOT NULL,
  external_user_id text,
  platform         text,
  app_id           text,
  event_time       bigint  NOT NULL,
  received_at      bigint  NOT NULL,
  payload          text    NOT NULL,
  -- `read` walks one partition in seq order; retention finds each partition's highest seq in a chunk.
  PRIMARY KEY (part, seq)
) PARTITION BY RANGE (seq);
-- Dedup at ingest, per chunk: when a chunk is dropped its ids go with it. Hash rather than B-tree: faster appends
-- with random UUIDs (bench/pg-append.ts), and dedup only ever asks for equality.
CREATE INDEX event_log_event_id ON event_log USING hash (event_id);
-- seqBefore: the last receipt before a time.
CREATE INDEX event_log_received ON event_log (received_at);

-- Where the next append starts and the highest seq written. Sealing a chunk moves next_seq past its end (seqs have
-- gaps; readers rely on order, never on density), so head_seq is kept apart: it never moves backwards or skips.
CREATE TABLE log_state (
  id       integer PRIMARY KEY CHECK (id = 1),
  next_seq bigint  NOT NULL,
  head_seq bigint  NOT NULL
);
INSERT INTO log_state (id, next_seq, head_seq) VALUES (1, 1, 0);

-- One row per chunk of the log, with running totals kept by the appends that write into it: stats and retention
-- never scan the log.
CREATE TABLE log_partitions (
  lo           bigint PRIMARY KEY, -- first seq (inclusive)
  hi           bigint NOT NULL,    -- end (exclusive)
  name         text   NOT NULL UNIQUE,
  events       bigint NOT NULL DEFAULT 0,
  bytes        bigint NOT NULL DEFAULT 0,
  min_received bigint,
  max_received bigint
);

CREATE TABLE quarantine (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reason      text   NOT NULL,
  source      text   NOT NULL, -- JSON of QuarantineSource
  raw         text   NOT NULL,
  event_type  text,
  received_at bigint NOT NULL,
  -- Records from files: a hash of where they came from and what they were, so a re-import adds nothing.
  fingerprint text
);
CREATE UNIQUE INDEX quarantine_fingerprint ON quarantine (fingerprint) WHERE fingerprint IS NOT NULL;

CREATE TABLE exports (
  id         text   PRIMARY KEY,
  name       text   NOT NULL,
  created_at bigint NOT NULL,
  start_seq  bigint NOT NULL, -- record.startSeq, for retention
  record     text   NOT NULL  -- JSON of ExportRecord (secrets already encrypted by the caller)
);

CREATE TABLE cursors (
  export_id     text    NOT NULL,
  feed          text    NOT NULL,
  part          integer NOT NULL,
  generation    integer NOT NULL,
  seq           bigint  NOT NULL,
  inflight_to   bigint,
  inflight_done integer NOT NULL DEFAULT 0,
  inflight_at   bigint,
  PRIMARY KEY (export_id, feed, part, generation)
);

CREATE TABLE feed_states (
  export_id text NOT NULL,
  feed      text NOT NULL,
  state     text NOT NULL, -- JSON of FeedState
  PRIMARY KEY (export_id, feed)
);

CREATE TABLE counters (
  export_id text   NOT NULL,
  feed      text   NOT NULL,
  type      text   NOT NULL,
  outcome   text   NOT NULL,
  count     bigint NOT NULL,
  PRIMARY KEY (export_id, feed, type, outcome)
);

CREATE TABLE delivery_minutes (
  export_id text   NOT NULL,
  feed      text   NOT NULL,
  minute    bigint NOT NULL, -- ms at the start of the minute
  count     bigint NOT NULL,
  PRIMARY KEY (export_id, minute, feed)
);
CREATE INDEX delivery_minutes_minute ON delivery_minutes (minute);

CREATE TABLE dead_letters (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  export_id       text    NOT NULL,
  feed            text    NOT NULL,
  batch           text    NOT NULL,
  event_ids       text[]  NOT NULL,
  types           text[]  NOT NULL,
  status          integer,
  error           text    NOT NULL,
  created_at      bigint  NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  last_attempt_at bigint
);
CREATE INDEX dead_letters_export ON dead_letters (export_id, id);

CREATE TABLE drops (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  export_id  text   NOT NULL,
  feed       text   NOT NULL,
  type       text   NOT NULL,
  count      bigint NOT NULL,
  first_time bigint NOT NULL,
  last_time  bigint NOT NULL,
  reason     text   NOT NULL,
  dropped_at bigint NOT NULL
);
CREATE INDEX drops_export ON drops (export_id, id);

CREATE TABLE export_errors (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  export_id text   NOT NULL,
  feed      text,
  message   text   NOT NULL,
  at        bigint NOT NULL
);
CREATE INDEX export_errors_recent ON export_errors (export_id, at, id);

CREATE TABLE replays (
  export_id   text    NOT NULL,
  generation  integer NOT NULL,
  from_time   bigint  NOT NULL,
  to_time     bigint  NOT NULL,
  upto_seq    bigint  NOT NULL,
  created_at  bigint  NOT NULL,
  finished_at bigint,
  PRIMARY KEY (export_id, generation)
);

CREATE TABLE leases (
  export_id   text    NOT NULL,
  feed        text    NOT NULL,
  part        integer NOT NULL,
  owner       text    NOT NULL,
  expires_at  bigint  NOT NULL,
  acquired_at bigint  NOT NULL,
  PRIMARY KEY (export_id, feed, part)
);

CREATE TABLE processes (
  owner     text   PRIMARY KEY,
  role      text   NOT NULL,
  last_seen bigint NOT NULL
);

CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
