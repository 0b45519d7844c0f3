-- How far each Postgres read model has applied each stream: written in the transaction that
-- applies the event (store::read_model), so an event at or below it is a redelivery and is
-- skipped, and a reader can wait for the version its own command produced.
CREATE TABLE projected_versions (
    projection    TEXT NOT NULL,
    stream_id     TEXT NOT NULL,
    version       BIGINT NOT NULL,
    projected_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, stream_id)
);
