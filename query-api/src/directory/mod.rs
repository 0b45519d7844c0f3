//! The directory as admins read it: users with their roles and effective permissions, roles
//! with their holders, from the Postgres read model the projectors keep (its live
//! generation), behind a port. `?min_version=` waits, bounded, for the projection.

mod postgres;
mod reach;
pub mod roles;
pub mod users;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::event_store::StoreError;
use utoipa::ToSchema;
use uuid::Uuid;

pub use postgres::PgDirectory;

use crate::error::QueryError;

/// Which users a page holds.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Holders of this role.
    pub role_id: Option<Uuid>,
    /// A lower-case prefix of the email or of the display name.
    pub prefix: Option<String>,
    pub disabled: Option<bool>,
    /// Only users after this id: the page cursor.
    pub after: Option<Uuid>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RoleRef {
    pub role_id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UserView {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub disabled: bool,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The version of the user's stream this answer reflects.
    pub version: i64,
    /// Live roles held, by name.
    pub roles: Vec<RoleRef>,
    /// The union of the roles' permissions; none while disabled.
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RoleView {
    pub role_id: Uuid,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The version of the role's stream this answer reflects.
    pub version: i64,
    /// How many users hold it.
    pub holder_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Holder {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
}

/// The directory's live generation, as the query API reads it.
#[async_trait]
pub trait DirectoryReads: Send + Sync + 'static {
    /// Matching users in id order (ids are UUIDv7: registration order).
    async fn users(&self, filter: &UserFilter) -> Result<Vec<UserView>, StoreError>;
    async fn user(&self, user_id: Uuid) -> Result<Option<UserView>, StoreError>;
    /// Roles after `after` in id order.
    async fn roles(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<RoleView>, StoreError>;
    async fn role(&self, role_id: Uuid) -> Result<Option<RoleView>, StoreError>;
    /// The users holding `role_id`, in id order.
    async fn holders(&self, role_id: Uuid) -> Result<Vec<Holder>, StoreError>;
    /// The latest version of `stream_id` the live generation applied (0: none).
    async fn projected_version(&self, stream_id: &str) -> Result<i64, StoreError>;
}

/// A cursor carries the last id of the previous page.
fn encode_cursor(last: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(last.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<Uuid, QueryError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| QueryError::invalid("invalid_cursor", "the cursor is not one this API gave"))
}

/// The first `limit` of `rows` (fetched with one more) and the cursor of the next page.
fn paged<T>(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = more
        .then(|| rows.last().map(|r| encode_cursor(id(r))))
        .flatten();
    (rows, next)
}
