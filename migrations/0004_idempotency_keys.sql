-- Idempotency-Key: a retried write returns the first response instead of writing again.
-- A key belongs to one caller (no caller can see another's responses by guessing keys)
-- and lives 24 hours. The row is inserted in the same transaction as the call's events,
-- so "the key is taken" and "the events exist" are one fact; the response is recorded
-- just after COMMIT.
CREATE TABLE idempotency_keys (
  caller         text   NOT NULL,  -- the caller's user id
  key            text   NOT NULL,
  request_hash   text   NOT NULL,  -- hex SHA-256 of the RPC, its parameters and body
  rpc            text   NOT NULL,
  aggregate_type text   NOT NULL,  -- the stream the call wrote, and its last event
  aggregate_id   text   NOT NULL,
  sequence       bigint NOT NULL,
  response       text,             -- the response body, once recorded
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (caller, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
