-- Events dated more than a day after they were received (a sender's clock or a wrong unit): accepted and kept, and
-- counted here by source and type, by the appends in their own transactions, so an export's status can warn of them
-- without reading the log.
CREATE TABLE future_dated (
  key               integer NOT NULL,
  type              text    NOT NULL,
  events            bigint  NOT NULL,
  newest_event_time bigint  NOT NULL,
  last_received_at  bigint  NOT NULL,
  PRIMARY KEY (key, type)
);
