-- The Redis server (its run_id, new at every start) a projection's live generation was filled
-- in. A Redis that restarted, say from an older RDB snapshot, is another instance: readers
-- distrust what it holds until the projector has cleared and refilled it and recorded it here.
-- NULL: never filled in any known instance.
ALTER TABLE projection_generations ADD COLUMN instance TEXT;
