-- The next committed events in commit order. tx_id below the oldest transaction still running
-- means every transaction that could still add an event before this point has ended, so no
-- event can appear behind the checkpoint later. The ORDER BY names the table's columns: a bare
-- `tx_id` is the bigint output column below, which no index orders, and every batch would
-- sort all the events after the checkpoint.
SELECT tx_id::text::bigint AS tx_id, position,
       event_id, stream_id, version, event_type, payload, metadata, recorded_at
FROM events
WHERE (tx_id, position) > ($1::text::xid8, $2)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY events.tx_id, events.position
LIMIT $3
