//! Events of the users aggregate: one stream per admin user (`user-<id>`).

mod wire;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use wire::{UserRegisteredV1, UserRoleAssignedV1};

use crate::topics::Category;

crate::event_family! {
    /// Everything that happens to an admin user account.
    pub enum UserEvent in Category::Users {
        Registered(UserRegistered) = "user.registered.v1",
            wire UserRegisteredV1, record "identity.users.UserRegisteredV1",
            schema "users/user.registered.v1.avsc";
        RoleAssigned(UserRoleAssigned) = "user.role_assigned.v1",
            wire UserRoleAssignedV1, record "identity.users.UserRoleAssignedV1",
            schema "users/user.role_assigned.v1.avsc";
    }
}

/// An admin user account was created. Its password hash is not part of the event: it lives
/// only in the credentials table, written in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_id: Uuid,
    /// The login, lower-cased.
    pub email: String,
    pub display_name: String,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoleAssigned {
    pub user_id: Uuid,
    pub role_id: Uuid,
    pub assigned_at: DateTime<Utc>,
}
