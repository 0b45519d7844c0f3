//! Every rule of the role aggregate: the events a command causes, or why it is refused. A
//! change that changes nothing causes no event; a deleted role is gone for every command.
//! Unique names are not this aggregate's to know: a reservation written with the events
//! enforces them.

use chrono::{DateTime, Utc};
use events::Permission;
use events::roles::*;
use uuid::Uuid;

use super::fields::{Description, RoleName};
use super::state::Role;

#[derive(Debug, Clone)]
pub enum RoleCommand {
    Create(RoleDefinition),
    Change(RoleChange),
    /// Several changes at once, all or none (an edit form's fields).
    Edit(Vec<RoleChange>),
}

#[derive(Debug, Clone)]
pub struct RoleDefinition {
    pub role_id: Uuid,
    pub name: RoleName,
    pub description: Description,
    pub permissions: Vec<Permission>,
}

/// What can change about a role.
#[derive(Debug, Clone)]
pub enum RoleChange {
    Rename(RoleName),
    Describe(Description),
    Grant(Permission),
    Revoke(Permission),
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("no such role")]
    NotFound,
    #[error("the role exists already")]
    AlreadyCreated,
}

pub fn decide(
    role: &Role,
    command: RoleCommand,
    now: DateTime<Utc>,
) -> Result<Vec<RoleEvent>, RoleError> {
    match command {
        RoleCommand::Create(definition) => {
            if role.id.is_some() {
                return Err(RoleError::AlreadyCreated);
            }
            let mut permissions = definition.permissions;
            permissions.sort_unstable();
            permissions.dedup();
            Ok(vec![RoleEvent::Created(RoleCreated {
                role_id: definition.role_id,
                name: definition.name.as_str().to_owned(),
                description: definition.description.as_str().to_owned(),
                permissions,
                created_at: now,
            })])
        }
        RoleCommand::Change(change) => edit(role, vec![change], now),
        RoleCommand::Edit(changes) => edit(role, changes, now),
    }
}

fn edit(
    role: &Role,
    changes: Vec<RoleChange>,
    now: DateTime<Utc>,
) -> Result<Vec<RoleEvent>, RoleError> {
    let role_id = role
        .id
        .filter(|_| role.is_live())
        .ok_or(RoleError::NotFound)?;
    let mut events = Vec::new();
    let mut current = role.clone();
    for change in changes {
        if let Some(event) = changed(&current, role_id, change, now) {
            let version = current.version + 1;
            current = current.evolve(version, &event);
            events.push(event);
        }
    }
    Ok(events)
}

/// The event a change causes; `None` when it changes nothing.
fn changed(
    role: &Role,
    role_id: Uuid,
    change: RoleChange,
    now: DateTime<Utc>,
) -> Option<RoleEvent> {
    match change {
        RoleChange::Rename(name) => (name.as_str() != role.name).then(|| {
            RoleEvent::Renamed(RoleRenamed {
                role_id,
                name: name.as_str().to_owned(),
                renamed_at: now,
            })
        }),
        RoleChange::Describe(text) => (text.as_str() != role.description).then(|| {
            RoleEvent::Described(RoleDescribed {
                role_id,
                description: text.as_str().to_owned(),
                described_at: now,
            })
        }),
        RoleChange::Grant(permission) => (!role.permissions.contains(&permission)).then_some(
            RoleEvent::PermissionGranted(RolePermissionGranted {
                role_id,
                permission,
                granted_at: now,
            }),
        ),
        RoleChange::Revoke(permission) => {
            role.permissions
                .contains(&permission)
                .then_some(RoleEvent::PermissionRevoked(RolePermissionRevoked {
                    role_id,
                    permission,
                    revoked_at: now,
                }))
        }
        RoleChange::Delete => Some(RoleEvent::Deleted(RoleDeleted {
            role_id,
            deleted_at: now,
        })),
    }
}
