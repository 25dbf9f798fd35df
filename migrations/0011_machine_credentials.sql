-- Machine users' credentials for OAuth, reduced by the auth projection (inline, like the
-- personal access tokens: a removed key or secret must stop working at once).

-- The keys' public halves (PEM, PKIX); a removed key, or every key of a removed user, is
-- deleted. Expired keys stay until removed: the token endpoint judges the expiration.
CREATE TABLE machine_keys_read_model (
  user_id       text     NOT NULL,
  id            text     NOT NULL,  -- the key id
  owner         text     NOT NULL,  -- the user's organization
  type          smallint NOT NULL,  -- zitadel.authn.v1.KeyType: 1 JSON
  expiration    timestamptz NOT NULL,
  public_key    text     NOT NULL,
  creation_date timestamptz NOT NULL,
  change_date   timestamptz NOT NULL,
  sequence      bigint   NOT NULL,  -- of the user stream: the key's addition
  PRIMARY KEY (user_id, id)
);

-- ListMachineKeys pages one user's keys by creation.
CREATE INDEX machine_keys_read_model_user_created ON machine_keys_read_model (user_id, creation_date, id);

-- One row per user with a client secret: its salted hash (never the secret).
CREATE TABLE machine_secrets_read_model (
  user_id     text   PRIMARY KEY,
  owner       text   NOT NULL,
  secret_hash text   NOT NULL,
  change_date timestamptz NOT NULL,
  sequence    bigint NOT NULL  -- of the user stream: the last secret set
);

-- The token endpoint finds a client by its client_id, the user name, in every organization:
-- folding ASCII case only, like the unique user-name keys (COLLATE "C" keeps lower() from
-- folding other letters whatever the database's locale is).
CREATE INDEX users_read_model_user_name_lower ON users_read_model (lower(user_name COLLATE "C"));

-- No event of these types exists before this migration: the new rows start where the auth
-- projection's others are.
INSERT INTO current_states (projection, position)
SELECT p.name, coalesce((SELECT position FROM current_states WHERE projection = 'pats'), 0)
FROM (VALUES ('machine_keys'), ('machine_secrets')) AS p(name);
