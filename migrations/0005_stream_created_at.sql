-- The stream head keeps the stream's creation date (its first event's time), so that a
-- command's response details come from what its own append returns: no read of a read
-- model after COMMIT, and read models free to run inline or asynchronously.
ALTER TABLE streams ADD COLUMN created_at timestamptz;

UPDATE streams AS s
   SET created_at = e.created_at
  FROM events AS e
 WHERE e.aggregate_type = s.aggregate_type AND e.aggregate_id = s.aggregate_id AND e.sequence = 1;

UPDATE streams SET created_at = updated_at WHERE created_at IS NULL;

ALTER TABLE streams ALTER COLUMN created_at SET NOT NULL;
