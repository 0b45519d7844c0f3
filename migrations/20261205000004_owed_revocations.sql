-- Session revocations a committed command owes (a principal disabled, a password changed),
-- written in that command's transaction and deleted once the revocations are appended: a crash
-- between the two leaves the row, and command-api's sweeper settles it.
CREATE TABLE owed_revocations (
    principal_id uuid NOT NULL,
    reason text NOT NULL,
    moment timestamptz NOT NULL,
    except_session uuid,
    metadata jsonb NOT NULL,
    owed_since timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, reason)
);

CREATE INDEX owed_revocations_since ON owed_revocations (owed_since);
