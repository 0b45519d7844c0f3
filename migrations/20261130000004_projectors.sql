-- The live generation of each rebuildable projection (blue-green: a rebuild fills the next
-- generation beside the live one, then switches here).
CREATE TABLE projection_generations (
    projection   TEXT PRIMARY KEY,
    generation   INT NOT NULL,
    -- the highest generation a rebuild was given (abandoned ones included)
    allocated    INT NOT NULL DEFAULT 0,
    switched_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Streams a projection stopped applying: one of their events went to the dead-letter topic,
-- and their later events wait here (as a count and a version) until an operator redrives the
-- stream from the event store.
CREATE TABLE parked_streams (
    projection            TEXT NOT NULL,
    stream_id             TEXT NOT NULL,
    -- version of the dead-lettered event, when it could be read
    parked_version        BIGINT,
    parked_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    error_class           TEXT NOT NULL,
    -- later events of the stream held back since
    held_events           INT NOT NULL DEFAULT 0,
    last_held_version     BIGINT,
    redrive_requested_at  TIMESTAMPTZ,
    PRIMARY KEY (projection, stream_id)
);
