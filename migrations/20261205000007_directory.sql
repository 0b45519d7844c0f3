-- The directory: admin users, roles and assignments as the query API reads them, built by the
-- projectors from identity.users.v1 and identity.roles.v1 (store::directory). Every row carries
-- the generation it belongs to: a rebuild fills generation n+1 beside the live one, the
-- projection_generations row of 'directory' switches readers to it, and the old rows go.
CREATE TABLE directory_users (
    generation     INT NOT NULL,
    user_id        UUID NOT NULL,
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT false,
    registered_at  TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    -- the user's stream version this row reflects
    version        BIGINT NOT NULL,
    PRIMARY KEY (generation, user_id)
);
-- `q` searches are prefixes of the email or of the lower-cased display name.
CREATE INDEX directory_users_email ON directory_users (generation, email text_pattern_ops);
CREATE INDEX directory_users_name
    ON directory_users (generation, lower(display_name) text_pattern_ops);

CREATE TABLE directory_roles (
    generation   INT NOT NULL,
    role_id      UUID NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    permissions  TEXT[] NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      BIGINT NOT NULL,
    PRIMARY KEY (generation, role_id)
);

-- Written from the users' streams; an assignment of a deleted role stays until the user's
-- unassignment event arrives, and grants nothing meanwhile (the role's row is gone).
CREATE TABLE directory_assignments (
    generation   INT NOT NULL,
    user_id      UUID NOT NULL,
    role_id      UUID NOT NULL,
    assigned_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (generation, user_id, role_id)
);
CREATE INDEX directory_assignments_role ON directory_assignments (generation, role_id, user_id);

-- What each user may do: the union of its live roles' permissions, none when disabled.
CREATE VIEW directory_permissions AS
SELECT DISTINCT a.generation, a.user_id, p.permission
FROM directory_assignments a
JOIN directory_users u
    ON u.generation = a.generation AND u.user_id = a.user_id AND NOT u.disabled
JOIN directory_roles r ON r.generation = a.generation AND r.role_id = a.role_id
CROSS JOIN LATERAL unnest(r.permissions) AS p (permission);
