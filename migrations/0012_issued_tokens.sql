-- The access tokens the token endpoint issued (user.token.v2.added), reduced by the auth
-- projection inline, like the personal access tokens: an opaque token is found by the hash of
-- what a caller sends, a JWT by its id (jti); never the token itself.
CREATE TABLE issued_tokens_read_model (
  token_id      text     PRIMARY KEY,
  user_id       text     NOT NULL,
  owner         text     NOT NULL,  -- the user's organization
  token_type    smallint NOT NULL,  -- zitadel.user.v1.AccessTokenType: 0 BEARER (opaque), 1 JWT
  token_hash    text     UNIQUE,    -- hex SHA-256 of an opaque token; NULL for a JWT
  expiration    timestamptz NOT NULL,
  audience      jsonb    NOT NULL,  -- array of strings
  scopes        jsonb    NOT NULL,  -- array of strings
  creation_date timestamptz NOT NULL,
  sequence      bigint   NOT NULL   -- of the user stream: the issuance
);

CREATE INDEX issued_tokens_read_model_user_id ON issued_tokens_read_model (user_id);

-- No event of this type exists before this migration.
INSERT INTO current_states (projection, position)
SELECT 'issued_tokens', coalesce((SELECT position FROM current_states WHERE projection = 'pats'), 0);
