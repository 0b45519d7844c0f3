-- The next committed events in commit order. tx_id below the oldest transaction still running
-- means every transaction that could still add an event before this point has ended, so no
-- event can appear behind the checkpoint later.
SELECT tx_id::text::bigint AS tx_id, position,
       event_id, stream_id, version, event_type, payload, metadata, recorded_at
FROM events
WHERE (tx_id, position) > ($1::text::xid8, $2)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY tx_id, position
LIMIT $3
