-- Session revocations, newest first, read from the event store itself.
SELECT position, event_id, stream_id, version, event_type, payload, metadata, recorded_at
FROM events
WHERE event_type = 'session.revoked.v1'
  AND ($1::text IS NULL OR stream_id = $1)
  AND ($2::text IS NULL OR payload->>'reason' = $2)
  AND ($3::timestamptz IS NULL OR recorded_at >= $3)
  AND ($4::timestamptz IS NULL OR recorded_at < $4)
  AND ($5::timestamptz IS NULL OR (recorded_at, position) < ($5, $6))
ORDER BY recorded_at DESC, position DESC
LIMIT $7
