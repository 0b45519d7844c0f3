//! The rows role commands write beside their events, in Postgres: `auth_roles` (name and
//! permissions, which logins read; its unique index on the lower-cased name is the name
//! reservation) and, when a role is deleted, its assignments in `auth_user_roles` (each
//! becoming a debt in `owed_unassignments`, which the users context settles).

use async_trait::async_trait;
use events::{EventMetadata, Permission};
use sqlx::PgConnection;
use store::event_store::{StoreError, TransactionalWrite, unavailable, violated_constraint};
use uuid::Uuid;

use super::execute::RoleRows;

/// The unique indexes that make a role name one role's only.
const NAME_CONSTRAINTS: [&str; 2] = ["auth_roles_name_key", "auth_roles_name_lower_key"];

#[derive(Debug, Clone, Copy, Default)]
pub struct PgRoleRows;

impl RoleRows for PgRoleRows {
    fn created(
        &self,
        role_id: Uuid,
        name: &str,
        permissions: &[Permission],
    ) -> Box<dyn TransactionalWrite> {
        Box::new(Row {
            role_id,
            change: Change::Created(
                name.to_owned(),
                permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            ),
        })
    }

    fn renamed(&self, role_id: Uuid, name: &str) -> Box<dyn TransactionalWrite> {
        Box::new(Row {
            role_id,
            change: Change::Renamed(name.to_owned()),
        })
    }

    fn grants(
        &self,
        role_id: Uuid,
        permission: Permission,
        grants: bool,
    ) -> Box<dyn TransactionalWrite> {
        Box::new(Row {
            role_id,
            change: Change::Grants(permission.as_str().to_owned(), grants),
        })
    }

    fn deleted(&self, role_id: Uuid, metadata: &EventMetadata) -> Box<dyn TransactionalWrite> {
        Box::new(Row {
            role_id,
            change: Change::Deleted(serde_json::to_value(metadata).unwrap_or_default()),
        })
    }
}

enum Change {
    Created(String, Vec<String>),
    Renamed(String),
    Grants(String, bool),
    /// With the deleting command's metadata, which its holders' unassignments carry.
    Deleted(serde_json::Value),
}

struct Row {
    role_id: Uuid,
    change: Change,
}

#[async_trait]
impl TransactionalWrite for Row {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let done = match &self.change {
            Change::Created(name, permissions) => {
                sqlx::query("INSERT INTO auth_roles (role_id, name, permissions) VALUES ($1, $2, $3)")
                    .bind(self.role_id)
                    .bind(name)
                    .bind(permissions)
                    .execute(&mut *conn)
                    .await
            }
            Change::Renamed(name) => {
                sqlx::query("UPDATE auth_roles SET name = $2 WHERE role_id = $1")
                    .bind(self.role_id)
                    .bind(name)
                    .execute(&mut *conn)
                    .await
            }
            Change::Grants(permission, true) => sqlx::query(
                "UPDATE auth_roles SET permissions = array_append(permissions, $2) \
                 WHERE role_id = $1 AND NOT ($2 = ANY (permissions))",
            )
            .bind(self.role_id)
            .bind(permission)
            .execute(&mut *conn)
            .await,
            Change::Grants(permission, false) => sqlx::query(
                "UPDATE auth_roles SET permissions = array_remove(permissions, $2) WHERE role_id = $1",
            )
            .bind(self.role_id)
            .bind(permission)
            .execute(&mut *conn)
            .await,
            Change::Deleted(metadata) => {
                let owed = sqlx::query(
                    "INSERT INTO owed_unassignments (user_id, role_id, metadata) \
                     SELECT user_id, role_id, $2 FROM auth_user_roles WHERE role_id = $1 \
                     ON CONFLICT (user_id, role_id) DO NOTHING",
                )
                .bind(self.role_id)
                .bind(metadata)
                .execute(&mut *conn)
                .await;
                let unassigned = match owed {
                    Ok(_) => {
                        sqlx::query("DELETE FROM auth_user_roles WHERE role_id = $1")
                            .bind(self.role_id)
                            .execute(&mut *conn)
                            .await
                    }
                    Err(e) => Err(e),
                };
                match unassigned {
                    Ok(_) => {
                        sqlx::query("DELETE FROM auth_roles WHERE role_id = $1")
                            .bind(self.role_id)
                            .execute(&mut *conn)
                            .await
                    }
                    Err(e) => Err(e),
                }
            }
        };
        done.map(drop).map_err(|e| match violated_constraint(&e) {
            Some(c) if NAME_CONSTRAINTS.contains(&c) => StoreError::Taken("role_name"),
            _ => unavailable(e),
        })
    }
}
