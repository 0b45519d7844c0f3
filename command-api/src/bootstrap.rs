//! `command-api bootstrap-admin`: creates the first admin — an ordinary user holding the
//! built-in `admin` role, which has every permission, both decided by their aggregates. Runs
//! once: the admin role's stream must not exist yet, so a second run (or a concurrent one) finds
//! it and changes nothing.

use chrono::{DateTime, Utc};
use events::topics::Category;
use events::{Actor, EventMetadata, Permission, PrincipalType};
use secrecy::SecretString;
use store::event_store::{EventStore, NewEvent, StoreError, StreamAppend, Transaction};
use store::subject_keys::LoginIndex;
use uuid::Uuid;

use crate::auth::credentials::Credential;
use crate::auth::grants::{RoleAssignment, RoleGrants};
use crate::auth::passwords::{PasswordError, Passwords};
use crate::roles::fields::{Description, RoleName};
use crate::roles::{self, Role, RoleCommand, RoleDefinition};
use crate::users::fields::{DisplayName, Email};
use crate::users::{self, Registration, User, UserChange, UserCommand};

/// The built-in role holding every permission.
pub const ADMIN_ROLE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrapped {
    Created { user_id: Uuid },
    AlreadyDone,
}

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("the admin login must be an email address")]
    InvalidLogin,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Event(#[from] events::EventError),
    /// A rule of the role or user aggregate refused the built-in admin (a bug, not input).
    #[error("{0}")]
    Rule(String),
}

fn rule(refused: impl std::fmt::Debug) -> BootstrapError {
    BootstrapError::Rule(format!("{refused:?}"))
}

/// The admin role and user as their aggregates decide them (the same rules as `POST /v1/roles`
/// and `POST /v1/users`), appended with their rows in ONE transaction: a crash between two
/// separate commands would leave a role without its admin, and a rerun would then find the
/// role and never create the admin.
pub async fn bootstrap_admin(
    store: &dyn EventStore,
    passwords: &Passwords,
    logins: &LoginIndex,
    login: &str,
    password: &SecretString,
    now: DateTime<Utc>,
) -> Result<Bootstrapped, BootstrapError> {
    let email = Email::parse(login).map_err(|_| BootstrapError::InvalidLogin)?;
    let user_id = Uuid::now_v7();
    let metadata = EventMetadata::new(Some(Actor::System("bootstrap".into())));
    let definition = RoleDefinition {
        role_id: ADMIN_ROLE_ID,
        name: RoleName::parse("admin").map_err(rule)?,
        description: Description::parse("Every permission; created by bootstrap").map_err(rule)?,
        permissions: Permission::ALL.to_vec(),
    };
    let grants = RoleGrants {
        role_id: ADMIN_ROLE_ID,
        name: definition.name.as_str().to_owned(),
        permissions: Permission::ALL.to_vec(),
    };
    let role =
        roles::decide(&Role::default(), RoleCommand::Create(definition), now).map_err(rule)?;
    let registration = Registration {
        user_id,
        email: email.clone(),
        display_name: DisplayName::parse("Administrator").map_err(rule)?,
    };
    let mut user =
        users::decide(&User::default(), UserCommand::Register(registration), now).map_err(rule)?;
    let registered = user
        .iter()
        .enumerate()
        .fold(User::default(), |state, (i, event)| {
            state.evolve(i as i64 + 1, event)
        });
    let assign = UserCommand::Change(UserChange::AssignRole(ADMIN_ROLE_ID));
    user.extend(users::decide(&registered, assign, now).map_err(rule)?);
    let transaction = Transaction {
        appends: vec![
            StreamAppend {
                stream_id: Category::Roles.stream_id(ADMIN_ROLE_ID),
                expected_version: 0,
                events: role
                    .iter()
                    .map(|e| NewEvent::new(e, metadata.clone()))
                    .collect::<Result<_, _>>()?,
            },
            StreamAppend {
                stream_id: Category::Users.stream_id(user_id),
                expected_version: 0,
                events: user
                    .iter()
                    .map(|e| NewEvent::new(e, metadata.clone()))
                    .collect::<Result<_, _>>()?,
            },
        ],
        writes: vec![
            Box::new(Credential {
                principal_id: user_id,
                principal_type: PrincipalType::User,
                login: logins.digest(email.as_str()),
                password_hash: passwords.hash(password).await?,
            }),
            Box::new(grants),
            Box::new(RoleAssignment {
                user_id,
                role_id: ADMIN_ROLE_ID,
            }),
        ],
    };
    match store.commit(transaction).await {
        Ok(_) => Ok(Bootstrapped::Created { user_id }),
        Err(StoreError::Conflict { .. }) => Ok(Bootstrapped::AlreadyDone),
        Err(e) => Err(e.into()),
    }
}
