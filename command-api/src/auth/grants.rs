//! The tables logins and refreshes read effective permissions from (`auth_roles`,
//! `auth_user_roles`), written in the transaction that appends the role or assignment event.

use async_trait::async_trait;
use events::Permission;
use sqlx::PgConnection;
use store::event_store::{StoreError, TransactionalWrite, unavailable, violated_constraint};
use uuid::Uuid;

/// A role and the permissions it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrants {
    pub role_id: Uuid,
    pub name: String,
    pub permissions: Vec<Permission>,
}

#[async_trait]
impl TransactionalWrite for RoleGrants {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let permissions: Vec<&str> = self.permissions.iter().map(|p| p.as_str()).collect();
        sqlx::query("INSERT INTO auth_roles (role_id, name, permissions) VALUES ($1, $2, $3)")
            .bind(self.role_id)
            .bind(&self.name)
            .bind(&permissions)
            .execute(conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

/// The foreign key that makes an assignment refer to a role that still exists.
const ASSIGNED_ROLE_CONSTRAINT: &str = "auth_user_roles_role_id_fkey";

/// A role given to a user; a role deleted meanwhile fails it with [`StoreError::Missing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleAssignment {
    pub user_id: Uuid,
    pub role_id: Uuid,
}

#[async_trait]
impl TransactionalWrite for RoleAssignment {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO auth_user_roles (user_id, role_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(self.user_id)
        .bind(self.role_id)
        .execute(conn)
        .await
        .map(drop)
        .map_err(|e| match violated_constraint(&e) {
            Some(ASSIGNED_ROLE_CONSTRAINT) => StoreError::Missing("role"),
            _ => unavailable(e),
        })
    }
}
