-- Sources: one Braze workspace's Current as this service receives it (HTTP push with its own token, or a bucket that
-- is polled). `key` is what each log row records (an integer column is cheaper on the append path than the id as
-- text); AUTOINCREMENT so a key is never handed out twice. A deleted source keeps its row (deleted_at) and its id
-- stays taken: the log may still hold events that name it. `record` is the JSON of the SourceRecord without its key
-- (secrets already encrypted by the caller).
CREATE TABLE sources (
  key        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER,
  record     TEXT    NOT NULL
);

-- The built-in source: the service's own ingest token, as before sources existed. Every event logged before this
-- migration came through it (or from files), and keeps key 1 through the column default below.
INSERT INTO sources (key, id, created_at, record)
SELECT 1, 'default', now_ms, json_object(
  'id', 'default', 'name', 'Default', 'state', 'active', 'tokenHash', NULL, 'config', json_object('kind', 'http'),
  'createdAt', now_ms, 'updatedAt', now_ms)
FROM (SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS now_ms);

-- A constant default: SQLite adds the column without rewriting the table.
ALTER TABLE event_log ADD COLUMN source_key INTEGER NOT NULL DEFAULT 1;

-- What each source received, kept by the appends in their own transactions so a source's status never counts the log.
CREATE TABLE source_totals (
  key               INTEGER PRIMARY KEY,
  events            INTEGER NOT NULL,
  last_received_at  INTEGER,
  newest_event_time INTEGER
);
INSERT INTO source_totals (key, events, last_received_at, newest_event_time)
SELECT 1, t.events,
       (SELECT max(received_at) FROM event_log),
       (SELECT event_time FROM event_log ORDER BY seq DESC LIMIT 1)
FROM log_totals t WHERE t.id = 1 AND t.events > 0;

-- What a source's worker (a storage poller) says of it: JSON of SourceStatus.
CREATE TABLE source_status (
  key    INTEGER PRIMARY KEY,
  status TEXT    NOT NULL
);
