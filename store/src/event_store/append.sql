-- Appends a batch to one stream only if the stream is still at the expected version ($2).
-- A concurrent writer that got there first makes this return no rows, or fail with 23505 on
-- events_stream_version if both passed the check at once.
WITH current AS (
    SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1
)
INSERT INTO events (event_id, stream_id, version, event_type, payload, metadata)
SELECT e.event_id, $1, $2 + e.ord, e.event_type, e.payload, e.metadata
FROM unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])
         WITH ORDINALITY AS e (event_id, event_type, payload, metadata, ord),
     current
WHERE current.version = $2
ORDER BY e.ord
RETURNING version, recorded_at
