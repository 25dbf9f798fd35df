-- Checkpoints of projections that read the events after they committed (async runners
-- and rebuilds). Positions are taken in one order and committed in another, so "the last
-- position seen" would skip an event whose transaction commits late. A checkpoint is a
-- snapshot instead: every transaction visible in done_snapshot has been reduced. A step
-- reduces the events visible in target_snapshot and not in done_snapshot, in position
-- order (which is each aggregate's sequence order: an append inserts its events after
-- it holds the stream head), `position` marking how far into that window it got.
CREATE TABLE projection_checkpoints (
  projection      text        PRIMARY KEY,
  done_snapshot   pg_snapshot NOT NULL DEFAULT '3:3:',  -- 3 is the first normal xid: nothing
  target_snapshot pg_snapshot,
  position        bigint      NOT NULL DEFAULT 0,
  events          bigint      NOT NULL DEFAULT 0,       -- reduced so far, for progress
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Events a reducer failed on: retried with back-off, skipped after five attempts.
CREATE TABLE projection_failures (
  projection     text    NOT NULL,
  position       bigint  NOT NULL,
  aggregate_type text    NOT NULL,
  aggregate_id   text    NOT NULL,
  sequence       bigint  NOT NULL,
  error          text    NOT NULL,
  attempts       integer NOT NULL,
  skipped        boolean NOT NULL DEFAULT false,
  last_attempt   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, position)
);
