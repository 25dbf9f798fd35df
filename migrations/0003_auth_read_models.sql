-- Read models for authentication: organizations, memberships (roles) and personal access tokens.

-- One row per organization, reduced from org.added.
CREATE TABLE orgs_read_model (
  id            text     PRIMARY KEY,
  name          text     NOT NULL,
  state         smallint NOT NULL,  -- 1: active
  creation_date timestamptz NOT NULL,
  change_date   timestamptz NOT NULL,
  sequence      bigint   NOT NULL,  -- of the org stream
  position      bigint   NOT NULL
);

-- Look-ups by name fold ASCII case only, like the domain's unique keys: COLLATE "C" keeps
-- lower() from folding other letters whatever the database's locale is.
CREATE INDEX orgs_read_model_name ON orgs_read_model (lower(name COLLATE "C"));

-- Who holds which roles where: scope is an organization id or 'instance'.
CREATE TABLE members_read_model (
  scope         text   NOT NULL,
  user_id       text   NOT NULL,
  roles         text[] NOT NULL,  -- role names, e.g. 'ORG_OWNER'
  creation_date timestamptz NOT NULL,
  change_date   timestamptz NOT NULL,
  sequence      bigint NOT NULL,  -- of the scope's stream (the org's, or the instance's)
  PRIMARY KEY (scope, user_id)
);

-- Authentication reads every membership of one user; a user's removal deletes them.
CREATE INDEX members_read_model_user_id ON members_read_model (user_id);

-- Personal access tokens, found by the hash of the token a caller sends.
CREATE TABLE pats_read_model (
  token_hash    text   PRIMARY KEY,  -- hex SHA-256 of the token
  token_id      text   NOT NULL UNIQUE,
  user_id       text   NOT NULL,
  expiration    timestamptz NOT NULL,
  creation_date timestamptz NOT NULL,
  sequence      bigint NOT NULL  -- of the user stream
);

CREATE INDEX pats_read_model_user_id ON pats_read_model (user_id);

INSERT INTO current_states (projection) VALUES ('orgs'), ('members'), ('pats');
