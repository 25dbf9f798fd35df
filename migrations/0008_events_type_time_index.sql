-- ListEvents and `machine-users audit events` filter by event type and creation time
-- (issue 8: "uses an index, no sequential scan on events"). The index also holds each
-- event's place in the (transaction, position) order, so that the keys of a page come from
-- the index alone and only the page's rows are read from the table. An id without a type is
-- found through the primary key (the query names every aggregate type); an editor or an
-- organization alone is rare enough to scan for; each index costs every append.
-- Not CONCURRENTLY: migrations run in a transaction; the build holds appends for about a
-- second per million events.
CREATE INDEX events_type_created_at ON events (event_type, created_at) INCLUDE (tx_id, position);
