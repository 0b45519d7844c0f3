//! The directory's SQL: one event's change to the rows of one generation.

use async_trait::async_trait;
use events::Recorded;
use events::roles::RoleEvent;
use events::users::UserEvent;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::event_store::{StoreError, TransactionalWrite, unavailable};

pub struct UserChange<'a> {
    pub generation: i32,
    pub recorded: &'a Recorded<UserEvent>,
}

#[async_trait]
impl TransactionalWrite for UserChange<'_> {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let generation = self.generation;
        let user_id = match &self.recorded.event {
            UserEvent::Registered(e) => {
                sqlx::query(
                    "INSERT INTO directory_users \
                     (generation, user_id, email, display_name, registered_at, updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $5, 0) \
                     ON CONFLICT (generation, user_id) DO UPDATE \
                     SET email = excluded.email, display_name = excluded.display_name",
                )
                .bind(generation)
                .bind(e.user_id)
                .bind(&e.email)
                .bind(&e.display_name)
                .bind(e.registered_at)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
                e.user_id
            }
            UserEvent::RoleAssigned(e) => {
                sqlx::query(
                    "INSERT INTO directory_assignments (generation, user_id, role_id, assigned_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(generation)
                .bind(e.user_id)
                .bind(e.role_id)
                .bind(e.assigned_at)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
                e.user_id
            }
            UserEvent::RoleUnassigned(e) => {
                sqlx::query(
                    "DELETE FROM directory_assignments \
                     WHERE generation = $1 AND user_id = $2 AND role_id = $3",
                )
                .bind(generation)
                .bind(e.user_id)
                .bind(e.role_id)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
                e.user_id
            }
            UserEvent::DisplayNameChanged(e) => {
                set_user(
                    conn,
                    SET_DISPLAY_NAME,
                    generation,
                    e.user_id,
                    &e.display_name,
                )
                .await?;
                e.user_id
            }
            UserEvent::EmailChanged(e) => {
                set_user(conn, SET_EMAIL, generation, e.user_id, &e.email).await?;
                e.user_id
            }
            UserEvent::Disabled(e) => {
                set_disabled(conn, generation, e.user_id, true).await?;
                e.user_id
            }
            UserEvent::Enabled(e) => {
                set_disabled(conn, generation, e.user_id, false).await?;
                e.user_id
            }
            UserEvent::PasswordChanged(e) => e.user_id,
        };
        touch(conn, TOUCH_USER, generation, user_id, self.recorded).await
    }
}

pub struct RoleChange<'a> {
    pub generation: i32,
    pub recorded: &'a Recorded<RoleEvent>,
}

#[async_trait]
impl TransactionalWrite for RoleChange<'_> {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let generation = self.generation;
        let (role_id, update): (Uuid, Option<(&'static str, String)>) = match &self.recorded.event {
            RoleEvent::Created(e) => {
                let mut permissions: Vec<&str> = e.permissions.iter().map(|p| p.as_str()).collect();
                permissions.sort_unstable();
                permissions.dedup();
                sqlx::query(
                    "INSERT INTO directory_roles (generation, role_id, name, description, \
                     permissions, created_at, updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, 0) \
                     ON CONFLICT (generation, role_id) DO UPDATE \
                     SET name = excluded.name, description = excluded.description, \
                     permissions = excluded.permissions",
                )
                .bind(generation)
                .bind(e.role_id)
                .bind(&e.name)
                .bind(&e.description)
                .bind(&permissions)
                .bind(e.created_at)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
                (e.role_id, None)
            }
            RoleEvent::Renamed(e) => (e.role_id, Some((RENAME, e.name.clone()))),
            RoleEvent::Described(e) => (e.role_id, Some((DESCRIBE, e.description.clone()))),
            RoleEvent::PermissionGranted(e) => {
                (e.role_id, Some((GRANT, e.permission.as_str().to_owned())))
            }
            RoleEvent::PermissionRevoked(e) => {
                (e.role_id, Some((REVOKE, e.permission.as_str().to_owned())))
            }
            RoleEvent::Deleted(e) => {
                sqlx::query("DELETE FROM directory_roles WHERE generation = $1 AND role_id = $2")
                    .bind(generation)
                    .bind(e.role_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(unavailable)?;
                return Ok(());
            }
        };
        if let Some((statement, value)) = update {
            sqlx::query(statement)
                .bind(generation)
                .bind(role_id)
                .bind(value)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
        }
        touch(conn, TOUCH_ROLE, generation, role_id, self.recorded).await
    }
}

const SET_DISPLAY_NAME: &str =
    "UPDATE directory_users SET display_name = $3 WHERE generation = $1 AND user_id = $2";
const SET_EMAIL: &str =
    "UPDATE directory_users SET email = $3 WHERE generation = $1 AND user_id = $2";

const RENAME: &str = "UPDATE directory_roles SET name = $3 WHERE generation = $1 AND role_id = $2";
const DESCRIBE: &str =
    "UPDATE directory_roles SET description = $3 WHERE generation = $1 AND role_id = $2";
/// Permissions are kept sorted and distinct, as a rebuild writes them.
const GRANT: &str = "UPDATE directory_roles \
     SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || $3::text) p ORDER BY p) \
     WHERE generation = $1 AND role_id = $2";
const REVOKE: &str = "UPDATE directory_roles SET permissions = array_remove(permissions, $3::text) \
     WHERE generation = $1 AND role_id = $2";

/// Sets one text column of a user's row.
async fn set_user(
    conn: &mut PgConnection,
    statement: &'static str,
    generation: i32,
    user_id: Uuid,
    value: &str,
) -> Result<(), StoreError> {
    sqlx::query(statement)
        .bind(generation)
        .bind(user_id)
        .bind(value)
        .execute(conn)
        .await
        .map(drop)
        .map_err(unavailable)
}

async fn set_disabled(
    conn: &mut PgConnection,
    generation: i32,
    user_id: Uuid,
    disabled: bool,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE directory_users SET disabled = $3 WHERE generation = $1 AND user_id = $2")
        .bind(generation)
        .bind(user_id)
        .bind(disabled)
        .execute(conn)
        .await
        .map(drop)
        .map_err(unavailable)
}

const TOUCH_USER: &str = "UPDATE directory_users SET version = $3, updated_at = $4 \
     WHERE generation = $1 AND user_id = $2";
const TOUCH_ROLE: &str = "UPDATE directory_roles SET version = $3, updated_at = $4 \
     WHERE generation = $1 AND role_id = $2";

/// Records on the row the stream version and time of the event that last changed it.
async fn touch<E>(
    conn: &mut PgConnection,
    statement: &'static str,
    generation: i32,
    id: Uuid,
    recorded: &Recorded<E>,
) -> Result<(), StoreError> {
    sqlx::query(statement)
        .bind(generation)
        .bind(id)
        .bind(recorded.envelope.version)
        .bind(recorded.envelope.recorded_at)
        .execute(conn)
        .await
        .map(drop)
        .map_err(unavailable)
}

/// What deletes the rows of one generation (`$1`).
pub const CLEAR: [&str; 3] = [
    "DELETE FROM directory_assignments WHERE generation = $1",
    "DELETE FROM directory_users WHERE generation = $1",
    "DELETE FROM directory_roles WHERE generation = $1",
];
