-- Dedup without a unique index on event_id (see fingerprints.ts: that index, keyed by random UUIDs, halved append
-- speed). Each event's 32-bit fingerprint is appended in seq order; the writing connection loads them into memory
-- and confirms a hit by reading the row. currents_fingerprint() is the adapter's function, registered on the
-- connection before migrations run, so rows written under 001 are fingerprinted too.
CREATE TABLE event_fingerprints (
  seq INTEGER PRIMARY KEY,
  fp  INTEGER NOT NULL
);
INSERT INTO event_fingerprints (seq, fp) SELECT seq, currents_fingerprint(event_id) FROM event_log;
DROP INDEX event_log_event_id;
