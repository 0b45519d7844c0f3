-- Credentials: the only place password hashes live (never in events, Kafka, Redis or logs).
-- Written in the same transaction as the events that create or change a principal, so a
-- principal can log in the moment it exists.
CREATE TABLE credentials (
    principal_id    UUID PRIMARY KEY,
    principal_type  TEXT NOT NULL CHECK (principal_type IN ('user', 'customer')),
    -- lower-cased email
    login           TEXT NOT NULL UNIQUE,
    -- PHC string (argon2id with its parameters)
    password_hash   TEXT NOT NULL,
    disabled        BOOLEAN NOT NULL DEFAULT false,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Role permissions and role assignments as logins need them, kept in step with the role and
-- user events in the same transaction, so a grant is effective at the next login.
CREATE TABLE auth_roles (
    role_id      UUID PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    permissions  TEXT[] NOT NULL
);

CREATE TABLE auth_user_roles (
    user_id  UUID NOT NULL,
    role_id  UUID NOT NULL REFERENCES auth_roles,
    PRIMARY KEY (user_id, role_id)
);

-- Access-token signing keys. Private keys are sealed with AES-256-GCM under the master key
-- from configuration; public keys are served as JWKS.
CREATE TABLE signing_keys (
    kid                     TEXT PRIMARY KEY,
    algorithm               TEXT NOT NULL,
    public_key              BYTEA NOT NULL,
    private_key_sealed      BYTEA NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- set when a newer key takes over signing; the key still verifies until published_until
    retired_at              TIMESTAMPTZ,
    published_until         TIMESTAMPTZ
);

-- Exactly one key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE retired_at IS NULL;
