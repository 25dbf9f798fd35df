-- The users read model and the checkpoints of the projections.

-- One row per machine user, reduced from the user events; removed users are deleted.
CREATE TABLE users_read_model (
  id                text     PRIMARY KEY,
  owner             text     NOT NULL,
  state             smallint NOT NULL,
  user_name         text     NOT NULL,
  name              text     NOT NULL DEFAULT '',
  description       text     NOT NULL DEFAULT '',
  access_token_type smallint NOT NULL DEFAULT 0,
  creation_date     timestamptz NOT NULL,
  change_date       timestamptz NOT NULL,
  sequence          bigint   NOT NULL,
  position          bigint   NOT NULL
);

CREATE INDEX users_read_model_owner_user_name ON users_read_model (owner, user_name);

-- The last global position each projection has reduced.
CREATE TABLE current_states (
  projection text   PRIMARY KEY,
  position   bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO current_states (projection) VALUES ('users');
