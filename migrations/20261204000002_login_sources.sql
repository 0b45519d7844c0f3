-- Failed logins are counted per login *and source* (client address), so that guessing from
-- one address locks that address out, not the account's owner; the row with source '*'
-- counts the account's consecutive failures from every source. `known`: the login succeeded
-- from this source before (the account-wide lock does not apply to it).
ALTER TABLE login_attempts DROP CONSTRAINT login_attempts_pkey;
ALTER TABLE login_attempts ADD COLUMN source TEXT NOT NULL DEFAULT '*';
ALTER TABLE login_attempts ALTER COLUMN source DROP DEFAULT;
ALTER TABLE login_attempts ADD COLUMN known BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE login_attempts ADD PRIMARY KEY (login, source);
