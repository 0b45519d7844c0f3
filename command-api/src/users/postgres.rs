//! The rows user commands write beside their events, in Postgres: `credentials` (login,
//! password hash, disabled flag) and `auth_user_roles`, which logins read; and the
//! unassignments deleted roles owe their holders.

use async_trait::async_trait;
use events::PrincipalType;
use sqlx::{PgConnection, PgPool};
use store::event_store::{StoreError, TransactionalWrite, unavailable};
use uuid::Uuid;

use super::execute::UserRows;
use super::owed::{OwedUnassignment, OwedUnassignments};
use crate::auth::credentials::{Credential, CredentialChange, CredentialUpdate};
use crate::auth::grants::RoleAssignment;

#[derive(Debug, Clone, Copy, Default)]
pub struct PgUserRows;

impl UserRows for PgUserRows {
    fn credential(
        &self,
        user_id: Uuid,
        login: &str,
        password_hash: &str,
    ) -> Box<dyn TransactionalWrite> {
        Box::new(Credential {
            principal_id: user_id,
            principal_type: PrincipalType::User,
            login: login.to_owned(),
            password_hash: password_hash.to_owned(),
        })
    }

    fn login(&self, user_id: Uuid, login: &str) -> Box<dyn TransactionalWrite> {
        Box::new(CredentialUpdate {
            principal_id: user_id,
            change: CredentialChange::Login(login.to_owned()),
        })
    }

    fn password(&self, user_id: Uuid, password_hash: &str) -> Box<dyn TransactionalWrite> {
        Box::new(CredentialUpdate {
            principal_id: user_id,
            change: CredentialChange::Password(password_hash.to_owned()),
        })
    }

    fn disabled(&self, user_id: Uuid, disabled: bool) -> Box<dyn TransactionalWrite> {
        Box::new(CredentialUpdate {
            principal_id: user_id,
            change: CredentialChange::Disabled(disabled),
        })
    }

    fn holds_role(&self, user_id: Uuid, role_id: Uuid, holds: bool) -> Box<dyn TransactionalWrite> {
        match holds {
            true => Box::new(RoleAssignment { user_id, role_id }),
            false => Box::new(Unassignment { user_id, role_id }),
        }
    }
}

/// A role taken from a user.
struct Unassignment {
    user_id: Uuid,
    role_id: Uuid,
}

#[async_trait]
impl TransactionalWrite for Unassignment {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM auth_user_roles WHERE user_id = $1 AND role_id = $2")
            .bind(self.user_id)
            .bind(self.role_id)
            .execute(conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

/// Unassignments deleted roles owe (`owed_unassignments`, written by the roles' adapter).
#[derive(Debug, Clone)]
pub struct PgOwedUnassignments {
    pool: PgPool,
}

impl PgOwedUnassignments {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl OwedUnassignments for PgOwedUnassignments {
    async fn due(&self, limit: i64) -> Result<Vec<OwedUnassignment>, StoreError> {
        let rows: Vec<(Uuid, Uuid, serde_json::Value)> = sqlx::query_as(
            "SELECT user_id, role_id, metadata FROM owed_unassignments \
             ORDER BY owed_since LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|(user_id, role_id, metadata)| {
                Ok(OwedUnassignment {
                    user_id,
                    role_id,
                    metadata: serde_json::from_value(metadata)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    async fn settled(&self, owed: &OwedUnassignment) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM owed_unassignments WHERE user_id = $1 AND role_id = $2")
            .bind(owed.user_id)
            .bind(owed.role_id)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}
