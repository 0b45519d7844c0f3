//! The rows customer commands write beside their events, in Postgres: the customer's
//! `credentials` row (its login's keyed hash and password hash), written at sign-up, changed
//! with its email or password, deleted at erasure with the login's attempt counters (and the
//! client addresses they know), which frees the email; and at erasure, the customer's rows of
//! the customer directory.

use async_trait::async_trait;
use events::PrincipalType;
use sqlx::PgConnection;
use store::customer_directory::ErasedRows;
use store::event_store::{StoreError, TransactionalWrite, unavailable};
use uuid::Uuid;

use super::execute::CustomerRows;
use crate::auth::credentials::{Credential, CredentialChange, CredentialUpdate};

#[derive(Debug, Clone, Copy, Default)]
pub struct PgCustomerRows;

impl CustomerRows for PgCustomerRows {
    fn credential(
        &self,
        id: Uuid,
        login: &str,
        password_hash: &str,
    ) -> Box<dyn TransactionalWrite> {
        Box::new(Credential {
            principal_id: id,
            principal_type: PrincipalType::Customer,
            login: login.to_owned(),
            password_hash: password_hash.to_owned(),
        })
    }

    fn login(&self, id: Uuid, login: &str) -> Box<dyn TransactionalWrite> {
        Box::new(CredentialUpdate {
            principal_id: id,
            change: CredentialChange::Login(login.to_owned()),
        })
    }

    fn password(&self, id: Uuid, password_hash: &str) -> Box<dyn TransactionalWrite> {
        Box::new(CredentialUpdate {
            principal_id: id,
            change: CredentialChange::Password(password_hash.to_owned()),
        })
    }

    fn forget_credential(&self, id: Uuid) -> Box<dyn TransactionalWrite> {
        Box::new(ForgetCredential(id))
    }

    fn forget_read_models(&self, id: Uuid) -> Box<dyn TransactionalWrite> {
        Box::new(ErasedRows(id))
    }
}

struct ForgetCredential(Uuid);

#[async_trait]
impl TransactionalWrite for ForgetCredential {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        // The login's attempt counters go too: they hold the addresses it logged in from.
        sqlx::query(
            "WITH gone AS (DELETE FROM credentials WHERE principal_id = $1 RETURNING login) \
             DELETE FROM login_attempts WHERE login IN (SELECT login FROM gone)",
        )
        .bind(self.0)
        .execute(conn)
        .await
        .map(drop)
        .map_err(unavailable)
    }
}
