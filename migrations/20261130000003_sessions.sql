-- Aggregate snapshots: the state of a stream at a version, so a long stream is not replayed
-- from its first event on every command. A cache of the events, never the truth: a snapshot
-- may be dropped at any time (and is ignored when its format is not the current one).
CREATE TABLE snapshots (
    stream_id  TEXT PRIMARY KEY,
    format     INT NOT NULL,
    version    BIGINT NOT NULL,
    state      JSONB NOT NULL,
    taken_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Which principal a session belongs to (its stream), for commands that name only the session.
CREATE INDEX events_session_started ON events ((payload->>'session_id'))
    WHERE event_type = 'session.started.v1';

-- Sessions started recently, which a rebuild of the session cache visits.
CREATE INDEX events_session_started_at ON events (recorded_at)
    WHERE event_type = 'session.started.v1';

-- The revocation audit replays these, newest first.
CREATE INDEX events_session_revoked ON events (recorded_at DESC, position DESC)
    WHERE event_type = 'session.revoked.v1';

-- Failed-login counters per login (known or not, so answers do not tell them apart). Updated
-- under a row lock, so parallel guesses cannot exceed the limit.
CREATE TABLE login_attempts (
    login         TEXT PRIMARY KEY,
    -- attempts since the last success or lockout, counted before the password is checked
    failures      INT NOT NULL DEFAULT 0,
    -- consecutive lockouts; each lasts twice as long as the one before
    lockouts      INT NOT NULL DEFAULT 0,
    locked_until  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
