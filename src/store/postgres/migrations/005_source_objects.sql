-- Storage sources (s3, azure_blob, gcs): what their pollers recorded, so a restart (or another process) neither reads
-- an object twice nor skips one. Keyed by the source's key; deleting the source deletes its rows.

-- One row per object read: its size and etag (GCS: generation) tell whether it changed since; `hour` is its date=
-- hour (ms), null outside Braze's layout; rows of hours the poller will never list again are pruned by hour.
CREATE TABLE source_objects (
  key         integer NOT NULL,
  object      text    NOT NULL,
  size        bigint  NOT NULL,
  etag        text    NOT NULL,
  hour        bigint,
  imported_at bigint  NOT NULL,
  events      bigint  NOT NULL,
  error       text,
  PRIMARY KEY (key, object)
);
CREATE INDEX source_objects_hour ON source_objects (key, hour);

-- Where each source's poller stands (JSON of SourceCursor): the first hour imported and the hour polls list from.
CREATE TABLE source_cursors (
  key    integer PRIMARY KEY,
  cursor text    NOT NULL
);
