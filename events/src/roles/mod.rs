//! Events of the roles aggregate: one stream per role (`role-<id>`).

mod wire;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use wire::{
    RoleCreatedV1, RoleDeletedV1, RoleDescribedV1, RolePermissionGrantedV1,
    RolePermissionRevokedV1, RoleRenamedV1,
};

use crate::Permission;
use crate::topics::Category;

crate::event_family! {
    /// Everything that happens to a role.
    pub enum RoleEvent in Category::Roles {
        Created(RoleCreated) = "role.created.v1",
            wire RoleCreatedV1, record "identity.roles.RoleCreatedV1",
            schema "roles/role.created.v1.avsc";
        Renamed(RoleRenamed) = "role.renamed.v1",
            wire RoleRenamedV1, record "identity.roles.RoleRenamedV1",
            schema "roles/role.renamed.v1.avsc";
        Described(RoleDescribed) = "role.described.v1",
            wire RoleDescribedV1, record "identity.roles.RoleDescribedV1",
            schema "roles/role.described.v1.avsc";
        PermissionGranted(RolePermissionGranted) = "role.permission_granted.v1",
            wire RolePermissionGrantedV1, record "identity.roles.RolePermissionGrantedV1",
            schema "roles/role.permission_granted.v1.avsc";
        PermissionRevoked(RolePermissionRevoked) = "role.permission_revoked.v1",
            wire RolePermissionRevokedV1, record "identity.roles.RolePermissionRevokedV1",
            schema "roles/role.permission_revoked.v1.avsc";
        Deleted(RoleDeleted) = "role.deleted.v1",
            wire RoleDeletedV1, record "identity.roles.RoleDeletedV1",
            schema "roles/role.deleted.v1.avsc";
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleCreated {
    pub role_id: Uuid,
    pub name: String,
    pub description: String,
    pub permissions: Vec<Permission>,
    pub created_at: DateTime<Utc>,
}

/// The role's name changed; names are unique among roles (a reservation enforces it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRenamed {
    pub role_id: Uuid,
    pub name: String,
    pub renamed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDescribed {
    pub role_id: Uuid,
    pub description: String,
    pub described_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolePermissionGranted {
    pub role_id: Uuid,
    pub permission: Permission,
    pub granted_at: DateTime<Utc>,
}

/// Holders of the role lose the permission at once (unless another role grants it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolePermissionRevoked {
    pub role_id: Uuid,
    pub permission: Permission,
    pub revoked_at: DateTime<Utc>,
}

/// The role grants nothing from now on and is taken from every holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDeleted {
    pub role_id: Uuid,
    pub deleted_at: DateTime<Utc>,
}
