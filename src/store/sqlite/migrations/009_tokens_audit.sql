-- Team use: named tokens of the admin API (their SHA-256 only) and the audit log of every change.

-- A revoked token keeps its row (its name stays in the audit log's history) with revoked_at set; lookups skip it.
CREATE TABLE tokens (
  id           TEXT    PRIMARY KEY,
  name         TEXT    NOT NULL,
  role         TEXT    NOT NULL,
  hash         TEXT    NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
-- Two live tokens never share a name: the audit log names the token.
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  token_name  TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  target_kind TEXT    NOT NULL,
  target_id   TEXT,
  changes     TEXT    NOT NULL,
  detail      TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id, at);
