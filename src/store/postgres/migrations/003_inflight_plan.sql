-- A chunk in flight now keeps the settings it was packed under, the events whose fate is recorded, and the batches
-- mParticle may have received: an edit of the export while a chunk is in flight then neither skips events (progress
-- counted in requests of the old packing) nor sends a possibly-received batch under a new source_request_id.
-- `passed` keeps what a cursor took over from the feeds it replaced when credentials regrouped the slots.
ALTER TABLE cursors ADD COLUMN inflight_plan text;
ALTER TABLE cursors ADD COLUMN passed text;

-- A feed's state is changed by compare-and-set on its version, so that with several processes one of them decides a
-- hold, a probe or a resume, and the contact hears of it once.
ALTER TABLE feed_states ADD COLUMN version integer NOT NULL DEFAULT 1;

-- Every write of a cursor row gives it a new random version; a sender writes only over the version it knows, so a
-- row another process rewrote (feeds regrouped) or removed is never overwritten with stale progress.
ALTER TABLE cursors ADD COLUMN version bigint NOT NULL DEFAULT 0;
