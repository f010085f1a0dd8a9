-- Events dated more than a day after they were received (a sender's clock or a wrong unit): accepted and kept, and
-- counted here by source and type, by the appends in their own transactions, so an export's status can warn of them
-- without reading the log.
CREATE TABLE future_dated (
  key               INTEGER NOT NULL,
  type              TEXT    NOT NULL,
  events            INTEGER NOT NULL,
  newest_event_time INTEGER NOT NULL,
  last_received_at  INTEGER NOT NULL,
  PRIMARY KEY (key, type)
);
