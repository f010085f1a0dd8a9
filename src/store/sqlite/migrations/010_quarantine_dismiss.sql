-- Quarantine records a person dismissed (they will never pass) stay as evidence but leave the list and the counts;
-- `validator` names the validation (service version and catalog) that last refused a record, so the dashboard can
-- tell that retrying now would fail again.
ALTER TABLE quarantine ADD COLUMN validator TEXT;
ALTER TABLE quarantine ADD COLUMN dismissed_at INTEGER;
ALTER TABLE quarantine ADD COLUMN dismissed_note TEXT;
CREATE INDEX quarantine_open ON quarantine (id) WHERE dismissed_at IS NULL;
