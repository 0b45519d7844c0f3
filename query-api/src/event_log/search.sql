-- Events of every stream, newest first, read from the event store itself.
SELECT position, event_id, stream_id, version, event_type, payload, metadata, recorded_at
FROM events
WHERE ($1::text IS NULL OR stream_id = $1)
  AND ($2::text IS NULL OR stream_id LIKE $2 || '-%')
  AND ($3::text IS NULL OR event_type = $3)
  AND ($4::text IS NULL OR metadata->'actor'->>'id' = $4)
  AND ($5::timestamptz IS NULL OR recorded_at >= $5)
  AND ($6::timestamptz IS NULL OR recorded_at < $6)
  AND ($7::timestamptz IS NULL OR (recorded_at, position) < ($7, $8))
ORDER BY recorded_at DESC, position DESC
LIMIT $9
