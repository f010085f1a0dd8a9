-- A sender's in-flight read now records how many of its requests are done and when it was packed, so that after a
-- hold or a crash it is packed the same way and the requests already delivered are not sent again.
ALTER TABLE cursors ADD COLUMN inflight_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cursors ADD COLUMN inflight_at INTEGER;
UPDATE cursors SET inflight_at = 0 WHERE inflight_to IS NOT NULL;

-- Input refused from files carries a fingerprint of where it came from and what it was: importing the same file
-- twice does not quarantine its bad records twice. Input from HTTP has none (each request is its own source).
ALTER TABLE quarantine ADD COLUMN fingerprint TEXT;
CREATE UNIQUE INDEX quarantine_fingerprint ON quarantine (fingerprint) WHERE fingerprint IS NOT NULL;
