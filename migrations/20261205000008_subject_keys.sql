-- Each data subject's AES-256-GCM data key, wrapped by the key-encryption key derived from the
-- master key (store::subject_keys). Personal fields in events, snapshots and Kafka records are
-- sealed with it; erasing the subject deletes the row, and with it every way to read them.
CREATE TABLE subject_keys (
    subject_id  UUID PRIMARY KEY,
    wrapped     BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
