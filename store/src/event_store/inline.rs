//! Inline projections: tables that commands read back (role permissions, role assignments),
//! kept in step with the events in the same transaction. Only the events listed here take the
//! transactional path; every other append is a single statement.

use events::roles::RoleEvent;
use events::users::UserEvent;
use events::{EventFamily, RawEvent};
use sqlx::PgConnection;

use super::StoreError;
use super::postgres::unavailable;

const ROLE_CREATED: &str = "role.created.v1";
const USER_ROLE_ASSIGNED: &str = "user.role_assigned.v1";

pub(super) fn applies_to(event_type: &str) -> bool {
    matches!(event_type, ROLE_CREATED | USER_ROLE_ASSIGNED)
}

pub(super) async fn apply(conn: &mut PgConnection, event: &RawEvent) -> Result<(), StoreError> {
    match event.event_type.as_str() {
        ROLE_CREATED => {
            let RoleEvent::Created(role) = RoleEvent::from_raw(event).map_err(corrupt)?.event;
            let permissions: Vec<&str> = role.permissions.iter().map(|p| p.as_str()).collect();
            sqlx::query("INSERT INTO auth_roles (role_id, name, permissions) VALUES ($1, $2, $3)")
                .bind(role.role_id)
                .bind(&role.name)
                .bind(&permissions)
                .execute(conn)
                .await
                .map_err(unavailable)?;
        }
        USER_ROLE_ASSIGNED => {
            if let UserEvent::RoleAssigned(a) = UserEvent::from_raw(event).map_err(corrupt)?.event {
                sqlx::query(
                    "INSERT INTO auth_user_roles (user_id, role_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(a.user_id)
                .bind(a.role_id)
                .execute(conn)
                .await
                .map_err(unavailable)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn corrupt(e: events::EventError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}
