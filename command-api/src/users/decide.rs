//! Every rule of the user aggregate: the events a command causes, or why it is refused. A
//! command that changes nothing (a name set to what it is, a role given twice) causes no event.
//! Whether a role exists, and whether an email is free, are not this aggregate's to know: the
//! route checks the first, the email reservation written with the events enforces the second.

use chrono::{DateTime, Utc};
use events::users::*;
use uuid::Uuid;

use super::fields::{DisplayName, Email};
use super::state::User;

#[derive(Debug, Clone)]
pub enum UserCommand {
    Register(Registration),
    Change(UserChange),
    /// Several changes at once, all or none (an edit form's fields).
    Edit(Vec<UserChange>),
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub user_id: Uuid,
    pub email: Email,
    pub display_name: DisplayName,
}

/// What can change about a registered user.
#[derive(Debug, Clone)]
pub enum UserChange {
    DisplayName(DisplayName),
    Email(Email),
    /// The new hash is written with the event, never in it.
    Password,
    Disable,
    Enable,
    AssignRole(Uuid),
    UnassignRole(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("no such user")]
    NotFound,
    #[error("the user exists already")]
    AlreadyRegistered,
}

pub fn decide(
    user: &User,
    command: UserCommand,
    now: DateTime<Utc>,
) -> Result<Vec<UserEvent>, UserError> {
    match command {
        UserCommand::Register(registration) => register(user, registration, now),
        UserCommand::Change(change) => edit(user, vec![change], now),
        UserCommand::Edit(changes) => edit(user, changes, now),
    }
}

fn edit(
    user: &User,
    changes: Vec<UserChange>,
    now: DateTime<Utc>,
) -> Result<Vec<UserEvent>, UserError> {
    let user_id = user.id.ok_or(UserError::NotFound)?;
    let mut events = Vec::new();
    let mut current = user.clone();
    for change in changes {
        if let Some(event) = changed(&current, user_id, change, now) {
            let version = current.version + 1;
            current = current.evolve(version, &event);
            events.push(event);
        }
    }
    Ok(events)
}

fn register(
    user: &User,
    registration: Registration,
    now: DateTime<Utc>,
) -> Result<Vec<UserEvent>, UserError> {
    if user.exists() {
        return Err(UserError::AlreadyRegistered);
    }
    Ok(vec![UserEvent::Registered(UserRegistered {
        user_id: registration.user_id,
        email: registration.email.as_str().to_owned(),
        display_name: registration.display_name.as_str().to_owned(),
        registered_at: now,
    })])
}

/// The event a change causes; `None` when it changes nothing.
fn changed(
    user: &User,
    user_id: Uuid,
    change: UserChange,
    now: DateTime<Utc>,
) -> Option<UserEvent> {
    match change {
        UserChange::DisplayName(name) => (name.as_str() != user.display_name).then(|| {
            UserEvent::DisplayNameChanged(UserDisplayNameChanged {
                user_id,
                display_name: name.as_str().to_owned(),
                changed_at: now,
            })
        }),
        UserChange::Email(email) => (email.as_str() != user.email).then(|| {
            UserEvent::EmailChanged(UserEmailChanged {
                user_id,
                email: email.as_str().to_owned(),
                changed_at: now,
            })
        }),
        UserChange::Password => Some(UserEvent::PasswordChanged(UserPasswordChanged {
            user_id,
            changed_at: now,
        })),
        UserChange::Disable => (!user.disabled).then_some(UserEvent::Disabled(UserDisabled {
            user_id,
            disabled_at: now,
        })),
        UserChange::Enable => user.disabled.then_some(UserEvent::Enabled(UserEnabled {
            user_id,
            enabled_at: now,
        })),
        UserChange::AssignRole(role_id) => {
            (!user.roles.contains(&role_id)).then_some(UserEvent::RoleAssigned(UserRoleAssigned {
                user_id,
                role_id,
                assigned_at: now,
            }))
        }
        UserChange::UnassignRole(role_id) => {
            user.roles
                .contains(&role_id)
                .then_some(UserEvent::RoleUnassigned(UserRoleUnassigned {
                    user_id,
                    role_id,
                    unassigned_at: now,
                }))
        }
    }
}
