-- Team use: named tokens of the admin API (their SHA-256 only) and the audit log of every change.

-- A revoked token keeps its row (its name stays in the audit log's history) with revoked_at set; lookups skip it.
CREATE TABLE tokens (
  id           text   PRIMARY KEY,
  name         text   NOT NULL,
  role         text   NOT NULL,
  hash         text   NOT NULL UNIQUE,
  created_at   bigint NOT NULL,
  last_used_at bigint,
  revoked_at   bigint
);
-- Two live tokens never share a name: the audit log names the token.
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          bigint NOT NULL,
  token_name  text   NOT NULL,
  action      text   NOT NULL,
  target_kind text   NOT NULL,
  target_id   text,
  changes     jsonb  NOT NULL,
  detail      jsonb  NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_kind, target_id, at);
