-- Tamper evidence (issue 8): each event stores a SHA-256 over a canonical encoding of
-- its fields and the hash of the previous event of its aggregate; the stream head keeps
-- the last hash, so an append stays one statement and streams never wait on each other.
-- `machine-users audit verify` recomputes every hash in C++ (eventstore/event_hash.cpp),
-- trusting neither this function nor the stored values; seals (0010) sign the hashes.
--
-- The encoding, in this order, each field as <byte length>:<UTF-8 bytes>, (a netstring):
--   aggregate_type, aggregate_id, sequence, event_type, revision, payload (jsonb's text),
--   creator, owner, created_at (microseconds since the Unix epoch), rpc, transport,
--   request_id
-- numbers in decimal; then the previous event's 32-byte hash (nothing for sequence 1).
-- The position is not in it: seals cover the global order.
ALTER TABLE events ADD COLUMN hash bytea;
ALTER TABLE streams ADD COLUMN last_hash bytea;

-- PL/pgSQL, not SQL: a SQL function this size is not inlined (an argument is a sub-select,
-- and extract() is only stable), so each statement would plan its body anew (~1 ms an
-- append, measured); PL/pgSQL plans it once per session.
CREATE FUNCTION event_hash(prev bytea, aggregate_type text, aggregate_id text, sequence bigint,
                           event_type text, revision smallint, payload jsonb, creator text,
                           owner text, created_at timestamptz, rpc text, transport text,
                           request_id text)
RETURNS bytea LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN sha256(convert_to(
           octet_length(aggregate_type) || ':' || aggregate_type || ',' ||
           octet_length(aggregate_id) || ':' || aggregate_id || ',' ||
           octet_length(sequence::text) || ':' || sequence::text || ',' ||
           octet_length(event_type) || ':' || event_type || ',' ||
           octet_length(revision::text) || ':' || revision::text || ',' ||
           octet_length(payload::text) || ':' || payload::text || ',' ||
           octet_length(creator) || ':' || creator || ',' ||
           octet_length(owner) || ':' || owner || ',' ||
           octet_length(((extract(epoch FROM created_at) * 1000000)::bigint)::text) || ':' ||
             ((extract(epoch FROM created_at) * 1000000)::bigint)::text || ',' ||
           octet_length(rpc) || ':' || rpc || ',' ||
           octet_length(transport) || ':' || transport || ',' ||
           octet_length(request_id) || ':' || request_id || ',', 'UTF8') || prev);
END;
$$;

-- Events written before this migration get their chains now. The append-only trigger
-- is off for this one transaction: hashes are added, nothing else changes.
ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete;
DO $$
DECLARE
  r record;
  prev bytea := '\x';
  last_type text;
  last_id text;
BEGIN
  FOR r IN SELECT * FROM events ORDER BY aggregate_type, aggregate_id, sequence LOOP
    IF r.aggregate_type IS DISTINCT FROM last_type OR r.aggregate_id IS DISTINCT FROM last_id THEN
      prev := '\x';
      last_type := r.aggregate_type;
      last_id := r.aggregate_id;
    END IF;
    prev := event_hash(prev, r.aggregate_type, r.aggregate_id, r.sequence, r.event_type,
                       r.revision, r.payload, r.creator, r.owner, r.created_at, r.rpc,
                       r.transport, r.request_id);
    UPDATE events SET hash = prev WHERE position = r.position;
  END LOOP;
END;
$$;
ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete;

UPDATE streams AS s
   SET last_hash = e.hash
  FROM events AS e
 WHERE e.aggregate_type = s.aggregate_type AND e.aggregate_id = s.aggregate_id
   AND e.sequence = s.sequence;
