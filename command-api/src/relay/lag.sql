-- Age in seconds of the oldest event not yet relayed (committed or not yet visible), or NULL.
SELECT extract(epoch FROM clock_timestamp() - recorded_at)::float8 AS age
FROM events
WHERE (tx_id, position) > ($1::text::xid8, $2)
ORDER BY tx_id, position
LIMIT 1
