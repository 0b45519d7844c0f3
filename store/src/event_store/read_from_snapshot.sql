-- A stream's snapshot (the row with `snapshot` set, if any) followed by the events after it.
WITH snap AS (
    SELECT version, state::text AS state FROM snapshots WHERE stream_id = $1 AND format = $2
)
SELECT 0 AS part, version, state AS snapshot,
       NULL::uuid AS event_id, NULL::text AS stream_id, NULL::text AS event_type,
       NULL::jsonb AS payload, NULL::jsonb AS metadata, NULL::timestamptz AS recorded_at
FROM snap
UNION ALL
SELECT 1, e.version, NULL, e.event_id, e.stream_id, e.event_type, e.payload, e.metadata,
       e.recorded_at
FROM events e
WHERE e.stream_id = $1 AND e.version > coalesce((SELECT version FROM snap), 0)
ORDER BY part, version
