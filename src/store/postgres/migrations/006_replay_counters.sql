-- What became of the events a replay re-sent, per outcome, so that a replay's summary (delivered, skipped,
-- dead-lettered, dropped) survives its cursors, which go when it finishes. Written by the commit that moves a
-- replay's cursor, in the same transaction as the export's counters; one row per lane (`part`), as for counters,
-- so that lanes never wait on each other's row.
CREATE TABLE replay_counters (
  export_id  text    NOT NULL,
  generation integer NOT NULL,
  part       integer NOT NULL,
  outcome    text    NOT NULL,
  count      bigint  NOT NULL,
  PRIMARY KEY (export_id, generation, outcome, part)
);
