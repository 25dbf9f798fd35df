-- The event store: append-only events, one head row per stream, unique keys.

-- Every event ever written. `position` is the global order in which events were
-- inserted; `tx_id` lets asynchronous readers wait until every transaction below
-- their checkpoint has ended (positions are taken in one order, committed in another).
CREATE TABLE events (
  position       bigint GENERATED ALWAYS AS IDENTITY,
  aggregate_type text     NOT NULL,
  aggregate_id   text     NOT NULL,
  sequence       bigint   NOT NULL CHECK (sequence > 0),
  event_type     text     NOT NULL,
  revision       smallint NOT NULL DEFAULT 1,
  payload        jsonb    NOT NULL DEFAULT '{}'::jsonb,
  creator        text     NOT NULL DEFAULT '',
  owner          text     NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  tx_id          xid8     NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_position ON events (position);
CREATE INDEX events_tx_id_position ON events (tx_id, position);

-- History is immutable: the database itself refuses to rewrite or drop it, whoever asks.
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % on table events is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'append compensating events instead';
END;
$$;

CREATE TRIGGER events_refuse_update_delete
  BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_refuse_truncate
  BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- The head of each stream (like Marten's mt_streams): the last sequence and the
-- write model after it, so that a command loads its state with one indexed read.
-- An append's first write is the update of this row: it orders competing writers.
CREATE TABLE streams (
  aggregate_type    text    NOT NULL,
  aggregate_id      text    NOT NULL,
  sequence          bigint  NOT NULL CHECK (sequence > 0),
  owner             text    NOT NULL DEFAULT '',
  snapshot          jsonb,
  snapshot_revision integer NOT NULL DEFAULT 0,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Values unique within their type (e.g. a user name within an organization),
-- claimed and released in the same transaction as the events that need them.
CREATE TABLE unique_constraints (
  unique_type  text NOT NULL,
  unique_value text NOT NULL,
  aggregate_id text NOT NULL,
  PRIMARY KEY (unique_type, unique_value)
);

-- Each process takes its id-generator node id from here at start-up.
CREATE SEQUENCE node_ids;
