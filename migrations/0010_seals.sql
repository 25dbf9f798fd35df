-- Seals (issue 8): a signed digest over the events' hashes, chained seal to seal. The
-- sealer writes one row per seal and appends the same seal to a JSON-lines log outside
-- the database; `machine-users audit verify` checks the events against both.
-- See domain/seal.hpp for the digest and the signed statement.
CREATE TABLE seals (
  id            bigint PRIMARY KEY CHECK (id > 0),
  upto_tx       xid8   NOT NULL,   -- the last event sealed, in (tx_id, position) order
  upto_position bigint NOT NULL,
  events        bigint NOT NULL CHECK (events > 0),
  prev_digest   bytea  NOT NULL,
  digest        bytea  NOT NULL,
  signature     text   NOT NULL,   -- Ed25519, hex
  public_key    text   NOT NULL,   -- the signer's, for information: verify takes the operator's
  sealed_at     timestamptz NOT NULL DEFAULT now()
);

-- Like the events: no one rewrites or drops a seal through SQL without disabling this.
CREATE TRIGGER seals_refuse_update_delete
  BEFORE UPDATE OR DELETE ON seals
  FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER seals_refuse_truncate
  BEFORE TRUNCATE ON seals
  FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
