//! User commands on the generic runner, with the rows they write beside their events in one
//! transaction: the credential (login and password hash) that a registration, an email or a
//! password change writes, the disabled flag and the role assignments logins read. A command
//! whose row cannot be written (an email another principal holds) appends nothing. Disabling a
//! user owes the end of its sessions, a password change the end of its other sessions: the debt
//! commits with the event and is settled right after (`sessions::owed`).

use std::sync::Arc;

use events::EventMetadata;
use events::sessions::RevocationReason;
use events::users::UserEvent;
use store::aggregate::{self, Hooks, Outcome, Ports, RunError};
use store::event_store::TransactionalWrite;
use store::session_cache::grants::{Committed, PrincipalGrants, Subject};
use store::subject_keys::LoginIndex;
use uuid::Uuid;

use super::{User, UserCommand, UserError};
use crate::sessions::SessionRunner;
use crate::sessions::owed::{Owed, OwedRevocations, settle};

/// The rows a user command writes beside its events (the storage adapter makes them).
pub trait UserRows: Send + Sync + 'static {
    /// A new principal's login and password hash; an email another principal holds makes the
    /// command fail with `StoreError::Taken("login")`.
    fn credential(
        &self,
        user_id: Uuid,
        login: &str,
        password_hash: &str,
    ) -> Box<dyn TransactionalWrite>;
    /// The principal logs in with another email (same refusal when it is taken).
    fn login(&self, user_id: Uuid, login: &str) -> Box<dyn TransactionalWrite>;
    fn password(&self, user_id: Uuid, password_hash: &str) -> Box<dyn TransactionalWrite>;
    /// Whether logins of the principal are refused.
    fn disabled(&self, user_id: Uuid, disabled: bool) -> Box<dyn TransactionalWrite>;
    /// Whether the user holds the role, as logins read it.
    fn holds_role(&self, user_id: Uuid, role_id: Uuid, holds: bool) -> Box<dyn TransactionalWrite>;
}

/// Runs commands on user streams.
#[derive(Clone)]
pub struct UserRunner {
    pub ports: Ports,
    pub rows: Arc<dyn UserRows>,
    /// Where the session revocations a command owes wait until they are appended.
    pub owed: Arc<dyn OwedRevocations>,
    /// Runs those revocations.
    pub sessions: SessionRunner,
    /// How logins are stored: keyed hashes, never addresses.
    pub logins: Arc<LoginIndex>,
}

/// What a command writes that its events do not hold.
#[derive(Debug, Clone, Default)]
pub struct Beside {
    /// The new hash of a registration or a password change (hashed before, so no connection
    /// waits on it).
    pub password_hash: Option<String>,
    /// The caller's session, which its own password change leaves running.
    pub session: Option<Uuid>,
}

impl std::fmt::Debug for UserRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRunner").finish_non_exhaustive()
    }
}

/// Runs `command` on user `user_id`, writing `beside` with its events.
pub async fn execute(
    runner: &UserRunner,
    user_id: Uuid,
    command: UserCommand,
    beside: Beside,
    metadata: EventMetadata,
) -> Result<Outcome<User>, RunError<UserError>> {
    let hooks = Rows {
        user_id,
        runner: runner.clone(),
        beside,
        metadata: metadata.clone(),
    };
    let outcome = aggregate::run(&runner.ports, &hooks, user_id, command, metadata).await?;
    if !outcome.events.is_empty() {
        let grants = PrincipalGrants {
            version: outcome.version,
            disabled: outcome.state.disabled,
            roles: outcome.state.roles.clone(),
        };
        let committed = Committed::Principal(user_id, &grants);
        runner.sessions.cache.write_grants_through(committed).await;
    }
    Ok(outcome)
}

struct Rows {
    user_id: Uuid,
    runner: UserRunner,
    beside: Beside,
    metadata: EventMetadata,
}

impl Rows {
    /// The stored form of `email`.
    fn login(&self, email: &str) -> String {
        self.runner.logins.digest(email)
    }

    /// The revocations `event` owes.
    fn owed(&self, event: &UserEvent) -> Option<Owed> {
        let (reason, moment, except) = match event {
            UserEvent::Disabled(e) => (RevocationReason::PrincipalDisabled, e.disabled_at, None),
            UserEvent::PasswordChanged(e) => (
                RevocationReason::PasswordChanged,
                e.changed_at,
                self.beside.session,
            ),
            _ => return None,
        };
        Some(Owed {
            principal_id: self.user_id,
            reason,
            moment,
            except,
            metadata: self.metadata.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Hooks<User> for Rows {
    /// The revocations the command owes, settled once it committed.
    type Ticket = Vec<Owed>;

    async fn before_append(&self, events: &[UserEvent]) -> Vec<Owed> {
        let cache = &self.runner.sessions.cache;
        cache.forget_grants(Subject::Principal(self.user_id)).await;
        events.iter().filter_map(|event| self.owed(event)).collect()
    }

    fn writes(&self, id: Uuid, events: &[UserEvent]) -> Vec<Box<dyn TransactionalWrite>> {
        let hash = self.beside.password_hash.as_deref().unwrap_or_default();
        let rows = &self.runner.rows;
        let owed = events
            .iter()
            .filter_map(|event| self.owed(event))
            .map(|owed| self.runner.owed.owe(&owed));
        events
            .iter()
            .filter_map(|event| match event {
                UserEvent::Registered(e) => Some(rows.credential(id, &self.login(&e.email), hash)),
                UserEvent::EmailChanged(e) => Some(rows.login(id, &self.login(&e.email))),
                UserEvent::PasswordChanged(_) => Some(rows.password(id, hash)),
                UserEvent::Disabled(_) => Some(rows.disabled(id, true)),
                UserEvent::Enabled(_) => Some(rows.disabled(id, false)),
                UserEvent::RoleAssigned(e) => Some(rows.holds_role(id, e.role_id, true)),
                UserEvent::RoleUnassigned(e) => Some(rows.holds_role(id, e.role_id, false)),
                UserEvent::DisplayNameChanged(_) => None,
            })
            .chain(owed)
            .collect()
    }

    /// Settles what the command owes; what fails here the sweeper settles later.
    async fn after_commit(&self, id: Uuid, _: &[events::RawEvent], owed: Vec<Owed>) {
        for owed in owed {
            let settled = settle(&self.runner.sessions, self.runner.owed.as_ref(), &owed).await;
            if let Err(error) = settled {
                tracing::warn!(?error, user_id = %id, "owed revocations left to the sweeper");
            }
        }
    }
}
