-- What became of the events a replay re-sent, per outcome, so that a replay's summary (delivered, skipped,
-- dead-lettered, dropped) survives its cursors, which go when it finishes. Written by the commit that moves a
-- replay's cursor, in the same transaction as the export's counters.
CREATE TABLE replay_counters (
  export_id  TEXT    NOT NULL,
  generation INTEGER NOT NULL,
  outcome    TEXT    NOT NULL,
  count      INTEGER NOT NULL,
  PRIMARY KEY (export_id, generation, outcome)
) WITHOUT ROWID;
