//! User commands on the generic runner, with the rows they write beside their events in one
//! transaction: the credential (login and password hash) that a registration, an email or a
//! password change writes, the disabled flag and the role assignments logins read. A command
//! whose row cannot be written (an email another principal holds) appends nothing.

use std::sync::Arc;

use events::EventMetadata;
use events::users::UserEvent;
use store::aggregate::{self, Hooks, Outcome, Ports, RunError};
use store::event_store::TransactionalWrite;
use uuid::Uuid;

use super::{User, UserCommand, UserError};

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
}

impl std::fmt::Debug for UserRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRunner").finish_non_exhaustive()
    }
}

/// Runs `command` on user `user_id`; `password_hash` is the new hash a registration or a
/// password change writes (hashed before, so no connection waits on it).
pub async fn execute(
    runner: &UserRunner,
    user_id: Uuid,
    command: UserCommand,
    password_hash: Option<String>,
    metadata: EventMetadata,
) -> Result<Outcome<User>, RunError<UserError>> {
    let hooks = Rows {
        rows: runner.rows.clone(),
        password_hash,
    };
    aggregate::run(&runner.ports, &hooks, user_id, command, metadata).await
}

struct Rows {
    rows: Arc<dyn UserRows>,
    password_hash: Option<String>,
}

#[async_trait::async_trait]
impl Hooks<User> for Rows {
    type Ticket = ();

    async fn before_append(&self, _: &[UserEvent]) {}

    fn writes(&self, id: Uuid, events: &[UserEvent]) -> Vec<Box<dyn TransactionalWrite>> {
        let hash = self.password_hash.as_deref().unwrap_or_default();
        events
            .iter()
            .filter_map(|event| match event {
                UserEvent::Registered(e) => Some(self.rows.credential(id, &e.email, hash)),
                UserEvent::EmailChanged(e) => Some(self.rows.login(id, &e.email)),
                UserEvent::PasswordChanged(_) => Some(self.rows.password(id, hash)),
                UserEvent::Disabled(_) => Some(self.rows.disabled(id, true)),
                UserEvent::Enabled(_) => Some(self.rows.disabled(id, false)),
                UserEvent::RoleAssigned(e) => Some(self.rows.holds_role(id, e.role_id, true)),
                UserEvent::RoleUnassigned(e) => Some(self.rows.holds_role(id, e.role_id, false)),
                UserEvent::DisplayNameChanged(_) => None,
            })
            .collect()
    }

    async fn after_commit(&self, _: Uuid, _: &[events::RawEvent], _: ()) {}
}
