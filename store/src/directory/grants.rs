//! The rows the grants cache takes from the directory, each beside the newest version of its
//! stream in the event store.

use sqlx::PgPool;
use uuid::Uuid;

use crate::event_store::{StoreError, unavailable};

/// The head of a role's stream, and its row's version and permissions (none once deleted).
pub type RoleRow = (Option<i64>, Option<i64>, Option<Vec<String>>);

/// A user's row as the grants cache holds it: (version, disabled, role ids); none unless the
/// row is at the newest version of `stream_id` in the event store.
pub async fn principal_grants(
    pool: &PgPool,
    generation: i32,
    user_id: Uuid,
    stream_id: &str,
) -> Result<Option<(i64, bool, Vec<Uuid>)>, StoreError> {
    sqlx::query_as(
        "SELECT u.version, u.disabled, \
         coalesce(array_agg(a.role_id) FILTER (WHERE a.role_id IS NOT NULL), '{}') \
         FROM directory_users u \
         LEFT JOIN directory_assignments a \
           ON a.generation = u.generation AND a.user_id = u.user_id \
         WHERE u.generation = $1 AND u.user_id = $2 \
           AND u.version = (SELECT max(version) FROM events WHERE stream_id = $3) \
         GROUP BY u.version, u.disabled",
    )
    .bind(generation)
    .bind(user_id)
    .bind(stream_id)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)
}

/// The newest version of `stream_id` in the event store, beside the role's row as the grants
/// cache holds it: (version, permissions); no row once deleted.
pub async fn role_permissions(
    pool: &PgPool,
    generation: i32,
    role_id: Uuid,
    stream_id: &str,
) -> Result<RoleRow, StoreError> {
    sqlx::query_as(
        "SELECT (SELECT max(version) FROM events WHERE stream_id = $3), r.version, r.permissions \
         FROM (SELECT 1) one \
         LEFT JOIN directory_roles r ON r.generation = $1 AND r.role_id = $2",
    )
    .bind(generation)
    .bind(role_id)
    .bind(stream_id)
    .fetch_one(pool)
    .await
    .map_err(unavailable)
}
