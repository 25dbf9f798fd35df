-- Every event records where it came from, beside its creator (issue 8): the RPC
-- (e.g. zitadel.management.v1.ManagementService/UpdateMachine), the transport (rest,
-- grpc, grpc-web, cli) and the request id. Never a token or any other secret.
-- Events written before this migration read '' in each. A constant default makes
-- this a catalogue change: no rewrite of the table, and the append-only triggers
-- (row-level UPDATE/DELETE) do not fire.
ALTER TABLE events
  ADD COLUMN rpc text NOT NULL DEFAULT '',
  ADD COLUMN transport text NOT NULL DEFAULT '',
  ADD COLUMN request_id text NOT NULL DEFAULT '';
