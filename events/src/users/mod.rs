//! Events of the users aggregate: one stream per admin user (`user-<id>`).

mod wire;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use wire::{
    UserDisabledV1, UserDisplayNameChangedV1, UserEmailChangedV1, UserEnabledV1,
    UserPasswordChangedV1, UserRegisteredV1, UserRoleAssignedV1, UserRoleUnassignedV1,
};

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
        RoleUnassigned(UserRoleUnassigned) = "user.role_unassigned.v1",
            wire UserRoleUnassignedV1, record "identity.users.UserRoleUnassignedV1",
            schema "users/user.role_unassigned.v1.avsc";
        DisplayNameChanged(UserDisplayNameChanged) = "user.display_name_changed.v1",
            wire UserDisplayNameChangedV1, record "identity.users.UserDisplayNameChangedV1",
            schema "users/user.display_name_changed.v1.avsc";
        EmailChanged(UserEmailChanged) = "user.email_changed.v1",
            wire UserEmailChangedV1, record "identity.users.UserEmailChangedV1",
            schema "users/user.email_changed.v1.avsc";
        PasswordChanged(UserPasswordChanged) = "user.password_changed.v1",
            wire UserPasswordChangedV1, record "identity.users.UserPasswordChangedV1",
            schema "users/user.password_changed.v1.avsc";
        Disabled(UserDisabled) = "user.disabled.v1",
            wire UserDisabledV1, record "identity.users.UserDisabledV1",
            schema "users/user.disabled.v1.avsc";
        Enabled(UserEnabled) = "user.enabled.v1",
            wire UserEnabledV1, record "identity.users.UserEnabledV1",
            schema "users/user.enabled.v1.avsc";
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoleUnassigned {
    pub user_id: Uuid,
    pub role_id: Uuid,
    pub unassigned_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDisplayNameChanged {
    pub user_id: Uuid,
    pub display_name: String,
    pub changed_at: DateTime<Utc>,
}

/// The login changed; the old address's reservation is released in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEmailChanged {
    pub user_id: Uuid,
    /// The new login, canonical (trimmed, NFKC, lower-cased).
    pub email: String,
    pub changed_at: DateTime<Utc>,
}

/// The password changed; the hash lives only in the credentials table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPasswordChanged {
    pub user_id: Uuid,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDisabled {
    pub user_id: Uuid,
    pub disabled_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEnabled {
    pub user_id: Uuid,
    pub enabled_at: DateTime<Utc>,
}
