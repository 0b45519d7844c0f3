//! `command-api bootstrap-admin`: creates the first admin — a user holding the built-in
//! `admin` role, which has every permission. Runs once: the admin role's stream must not exist
//! yet, so a second run (or a concurrent one) finds it and changes nothing.

use chrono::{DateTime, Utc};
use events::roles::{RoleCreated, RoleEvent};
use events::topics::Category;
use events::users::{UserEvent, UserRegistered, UserRoleAssigned};
use events::{Actor, EventMetadata, Permission, PrincipalType};
use secrecy::SecretString;
use uuid::Uuid;

use crate::auth::credentials::Credential;
use crate::auth::grants::{RoleAssignment, RoleGrants};
use crate::auth::login_name::canonical_login;
use crate::auth::passwords::{PasswordError, Passwords};
use store::event_store::{EventStore, NewEvent, StoreError, StreamAppend, Transaction};

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
}

pub async fn bootstrap_admin(
    store: &dyn EventStore,
    passwords: &Passwords,
    login: &str,
    password: &SecretString,
    now: DateTime<Utc>,
) -> Result<Bootstrapped, BootstrapError> {
    let login = canonical_login(login);
    if !login.contains('@') || login.len() > 320 {
        return Err(BootstrapError::InvalidLogin);
    }
    let user_id = Uuid::now_v7();
    let metadata = EventMetadata::new(Some(Actor::System("bootstrap".into())));
    let grants = RoleGrants {
        role_id: ADMIN_ROLE_ID,
        name: "admin".into(),
        permissions: Permission::ALL.to_vec(),
    };
    let role = RoleEvent::Created(RoleCreated {
        role_id: grants.role_id,
        name: grants.name.clone(),
        description: "Every permission; created by bootstrap".into(),
        permissions: grants.permissions.clone(),
        created_at: now,
    });
    let user = [
        UserEvent::Registered(UserRegistered {
            user_id,
            email: login.clone(),
            display_name: "Administrator".into(),
            registered_at: now,
        }),
        UserEvent::RoleAssigned(UserRoleAssigned {
            user_id,
            role_id: ADMIN_ROLE_ID,
            assigned_at: now,
        }),
    ];
    let transaction = Transaction {
        appends: vec![
            StreamAppend {
                stream_id: Category::Roles.stream_id(ADMIN_ROLE_ID),
                expected_version: 0,
                events: vec![NewEvent::new(&role, metadata.clone())?],
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
                login,
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
