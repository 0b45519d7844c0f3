//! The directory as admins read it: users with their roles and effective permissions, roles
//! with their holders, from the Postgres read model the projectors keep (its live
//! generation), behind a port. `?min_version=` waits, bounded, for the projection.

mod postgres;
pub mod roles;
pub mod users;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::event_store::StoreError;
use utoipa::ToSchema;
use uuid::Uuid;

pub use postgres::PgDirectory;

use crate::reach::Projected;

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
pub trait DirectoryReads: Projected + 'static {
    /// Matching users in id order (ids are UUIDv7: registration order).
    async fn users(&self, filter: &UserFilter) -> Result<Vec<UserView>, StoreError>;
    async fn user(&self, user_id: Uuid) -> Result<Option<UserView>, StoreError>;
    /// Roles after `after` in id order.
    async fn roles(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<RoleView>, StoreError>;
    async fn role(&self, role_id: Uuid) -> Result<Option<RoleView>, StoreError>;
    /// The users holding `role_id`, in id order.
    async fn holders(&self, role_id: Uuid) -> Result<Vec<Holder>, StoreError>;
}
