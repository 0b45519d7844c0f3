//! What the role aggregate remembers: one role, folded from its events. `evolve` only records
//! what happened; the rules are in `decide`.

use std::collections::BTreeSet;

use events::Permission;
use events::roles::RoleEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One role, at a stream version; `id` is `None` until it is created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub permissions: BTreeSet<Permission>,
    pub deleted: bool,
    pub version: i64,
}

impl Role {
    /// Created and not deleted.
    pub fn is_live(&self) -> bool {
        self.id.is_some() && !self.deleted
    }

    pub fn evolve(mut self, version: i64, event: &RoleEvent) -> Self {
        match event {
            RoleEvent::Created(e) => {
                self.id = Some(e.role_id);
                self.name.clone_from(&e.name);
                self.description.clone_from(&e.description);
                self.permissions = e.permissions.iter().copied().collect();
            }
            RoleEvent::Renamed(e) => self.name.clone_from(&e.name),
            RoleEvent::Described(e) => self.description.clone_from(&e.description),
            RoleEvent::PermissionGranted(e) => {
                self.permissions.insert(e.permission);
            }
            RoleEvent::PermissionRevoked(e) => {
                self.permissions.remove(&e.permission);
            }
            RoleEvent::Deleted(_) => {
                self.deleted = true;
                self.permissions.clear();
            }
        }
        self.version = version;
        self
    }
}
