//! What the user aggregate remembers: one admin account, folded from its events. `evolve` only
//! records what happened; the rules are in `decide`.

use std::collections::BTreeSet;

use events::users::UserEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One admin user, at a stream version; `None` fields until it is registered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    pub disabled: bool,
    pub roles: BTreeSet<Uuid>,
    pub version: i64,
}

impl User {
    pub fn exists(&self) -> bool {
        self.id.is_some()
    }

    pub fn evolve(mut self, version: i64, event: &UserEvent) -> Self {
        match event {
            UserEvent::Registered(e) => {
                self.id = Some(e.user_id);
                self.email.clone_from(&e.email);
                self.display_name.clone_from(&e.display_name);
            }
            UserEvent::RoleAssigned(e) => {
                self.roles.insert(e.role_id);
            }
            UserEvent::RoleUnassigned(e) => {
                self.roles.remove(&e.role_id);
            }
            UserEvent::DisplayNameChanged(e) => self.display_name.clone_from(&e.display_name),
            UserEvent::EmailChanged(e) => self.email.clone_from(&e.email),
            UserEvent::PasswordChanged(_) => {}
            UserEvent::Disabled(_) => self.disabled = true,
            UserEvent::Enabled(_) => self.disabled = false,
        }
        self.version = version;
        self
    }
}
