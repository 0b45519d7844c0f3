-- The audit's event search reads newest first (recorded_at, position), paging by that pair.
CREATE INDEX events_recorded ON events (recorded_at DESC, position DESC);
