-- Snapshots of one stream in several formats side by side: the sessions aggregate's state (the
-- command side) and the session history the read side folds are different states of the same
-- stream, and each would otherwise replace the other's.
ALTER TABLE snapshots DROP CONSTRAINT snapshots_pkey;
ALTER TABLE snapshots ADD PRIMARY KEY (stream_id, format);
