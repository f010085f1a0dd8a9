-- Counters and delivery minutes get a row per log partition (its lane), summed when read. With one row per export,
-- feed, type and outcome, every lane of a feed upserted the same rows in its commit, so the lanes' commits waited on
-- each other's row locks (seen as "Lock:transactionid" on the counters upsert, most of a delivery process's time).
-- Updates that do not come from a lane (a dead letter delivered on retry) use partition -1.
ALTER TABLE counters ADD COLUMN part integer NOT NULL DEFAULT -1;
ALTER TABLE counters DROP CONSTRAINT counters_pkey;
ALTER TABLE counters ADD PRIMARY KEY (export_id, feed, type, outcome, part);

ALTER TABLE delivery_minutes ADD COLUMN part integer NOT NULL DEFAULT -1;
ALTER TABLE delivery_minutes DROP CONSTRAINT delivery_minutes_pkey;
ALTER TABLE delivery_minutes ADD PRIMARY KEY (export_id, minute, feed, part);
