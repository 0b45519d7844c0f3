-- Role assignments a deleted role leaves on its holders' streams: written in the deletion's
-- transaction (before its assignment rows go), deleted once the user's `role_unassigned`
-- event is appended by command-api's sweeper. The role grants nothing from the deletion's
-- commit on; these only complete the holders' histories.
CREATE TABLE owed_unassignments (
    user_id uuid NOT NULL,
    role_id uuid NOT NULL,
    metadata jsonb NOT NULL,
    owed_since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role_id)
);

CREATE INDEX owed_unassignments_since ON owed_unassignments (owed_since);
