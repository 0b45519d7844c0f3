-- The event store: every event of every stream, append-only, the source of truth.
CREATE TABLE events (
    -- Insert order. Not commit order: never read "position > last seen" (see relay_checkpoints).
    position     BIGINT GENERATED ALWAYS AS IDENTITY,
    -- The writing transaction; the relay reads in (tx_id, position) order below the horizon of
    -- transactions still running, so a late commit can never be skipped.
    tx_id        XID8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id     UUID PRIMARY KEY,
    stream_id    TEXT NOT NULL CHECK (stream_id <> ''),
    version      BIGINT NOT NULL CHECK (version > 0),
    event_type   TEXT NOT NULL,
    payload      JSONB NOT NULL,
    -- actor, correlation and causation ids, W3C traceparent of the causing command
    metadata     JSONB NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- Optimistic concurrency: two writers of the same version collide here (SQLSTATE 23505).
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

CREATE INDEX events_commit_order ON events (tx_id, position);

CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();

-- Wakes the relay as soon as an append commits (notifications are delivered at commit).
CREATE FUNCTION events_notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('events_appended', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_appended
    AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify_appended();

-- Where each relay has got to, as the (tx_id, position) of the last event Kafka acknowledged.
-- Only the process holding the relay's advisory lock writes it.
CREATE TABLE relay_checkpoints (
    name        TEXT PRIMARY KEY,
    tx_id       XID8 NOT NULL DEFAULT '0',
    position    BIGINT NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO relay_checkpoints (name) VALUES ('kafka');
