//! Events of the roles aggregate: one stream per role (`role-<id>`).

mod wire;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use wire::RoleCreatedV1;

use crate::Permission;
use crate::topics::Category;

crate::event_family! {
    /// Everything that happens to a role.
    pub enum RoleEvent in Category::Roles {
        Created(RoleCreated) = "role.created.v1",
            wire RoleCreatedV1, record "identity.roles.RoleCreatedV1",
            schema "roles/role.created.v1.avsc";
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
