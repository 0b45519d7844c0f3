-- The sessions aggregate's snapshots moved to format 2 (spent refresh tokens timed to the
-- millisecond, ended sessions bounded): format 1 is never read again, so it goes rather than
-- sit beside every principal's new snapshot.
DELETE FROM snapshots WHERE stream_id LIKE 'sessions-%' AND format = 1;
