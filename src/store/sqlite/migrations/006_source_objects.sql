-- Storage sources (s3, azure_blob, gcs): what their pollers recorded, so a restart (or another process) neither reads
-- an object twice nor skips one. Keyed by the source's key; deleting the source deletes its rows.

-- One row per object read: its size and etag (GCS: generation) tell whether it changed since; `hour` is its date=
-- hour (ms), null outside Braze's layout; rows of hours the poller will never list again are pruned by hour.
CREATE TABLE source_objects (
  key         INTEGER NOT NULL,
  object      TEXT    NOT NULL,
  size        INTEGER NOT NULL,
  etag        TEXT    NOT NULL,
  hour        INTEGER,
  imported_at INTEGER NOT NULL,
  events      INTEGER NOT NULL,
  error       TEXT,
  PRIMARY KEY (key, object)
) WITHOUT ROWID;
CREATE INDEX source_objects_hour ON source_objects (key, hour);

-- Where each source's poller stands (JSON of SourceCursor): the first hour imported and the hour polls list from.
CREATE TABLE source_cursors (
  key    INTEGER PRIMARY KEY,
  cursor TEXT    NOT NULL
);
