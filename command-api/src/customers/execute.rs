//! Customer commands on the generic runner. Personal values are sealed here, under the
//! customer's data key, before anything is decided: a sign-up makes the key and stores it
//! wrapped with its events, later commands find it (none: the customer is erased or never was),
//! an erasure deletes it, the customer's credential and its email reservation in the same
//! transaction as `customer.erased`, and owes the end of every session (`PRINCIPAL_ERASED`).
//! An email or password change writes the credential's login or hash with its event; a
//! password change owes the end of the customer's other sessions (`PASSWORD_CHANGED`).

use std::sync::Arc;

use events::customers::{CustomerEvent, Sealed, sealed_as};
use events::sessions::RevocationReason;
use events::{EventFamily, EventMetadata};
use store::aggregate::{self, Hooks, Outcome, Ports, RunError};
use store::event_store::{StoreError, TransactionalWrite};
use store::subject_keys::{DataKey, LoginIndex, NewSubjectKey, SubjectKeys};
use uuid::Uuid;

use super::fields::Email;
use super::{Customer, CustomerCommand, CustomerError, SignUp};
use crate::sessions::SessionRunner;
use crate::sessions::owed::{Owed, OwedRevocations, settle};

/// The rows a customer command writes beside its events (the storage adapter makes them).
pub trait CustomerRows: Send + Sync + 'static {
    /// The customer's login (a keyed hash) and password hash; a login another principal holds
    /// fails the command with `StoreError::Taken("login")`.
    fn credential(&self, id: Uuid, login: &str, password_hash: &str)
    -> Box<dyn TransactionalWrite>;
    /// The customer's new login (a keyed hash); one another principal holds fails the command.
    fn login(&self, id: Uuid, login: &str) -> Box<dyn TransactionalWrite>;
    fn password(&self, id: Uuid, password_hash: &str) -> Box<dyn TransactionalWrite>;
    /// Deletes the customer's credential, which frees its email.
    fn forget_credential(&self, id: Uuid) -> Box<dyn TransactionalWrite>;
    /// Deletes the customer's read-model rows (the only ones holding its personal data in the
    /// clear); written after its key's deletion, which the projector's writes wait for.
    fn forget_read_models(&self, id: Uuid) -> Box<dyn TransactionalWrite>;
}

/// Runs commands on customer streams.
#[derive(Clone)]
pub struct CustomerRunner {
    pub ports: Ports,
    pub keys: Arc<dyn SubjectKeys>,
    pub rows: Arc<dyn CustomerRows>,
    pub logins: Arc<LoginIndex>,
    /// Where the revocations an erasure owes wait until they are appended.
    pub owed: Arc<dyn OwedRevocations>,
    pub sessions: SessionRunner,
}

impl std::fmt::Debug for CustomerRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerRunner").finish_non_exhaustive()
    }
}

/// A sign-up's values, checked and in the clear (they are sealed before anything else).
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub email: Email,
    pub name: String,
    pub phone: Option<String>,
    /// Hashed before, so no connection waits on it.
    pub password_hash: String,
}

/// Seals `plain` as the customer's `field`.
pub fn seal(key: &DataKey, field: &str, plain: &str) -> Result<Sealed, StoreError> {
    key.seal(field, plain)
        .map(Sealed)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Signs a new customer up: a new data key, its fields sealed with it, the credential and the
/// wrapped key committed with `customer.signed_up`.
pub async fn sign_up(
    runner: &CustomerRunner,
    customer_id: Uuid,
    new: NewCustomer,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>, RunError<CustomerError>> {
    let (key, stored_key) = runner.keys.generate(customer_id)?;
    let command = CustomerCommand::SignUp(SignUp {
        customer_id,
        email: seal(&key, sealed_as::EMAIL, new.email.as_str())?,
        name: seal(&key, sealed_as::NAME, &new.name)?,
        phone: new
            .phone
            .map(|p| seal(&key, sealed_as::PHONE, &p))
            .transpose()?,
    });
    let beside = Beside::SignUp {
        login: runner.logins.digest(new.email.as_str()),
        password_hash: new.password_hash,
        key: stored_key,
    };
    run(runner, customer_id, command, beside, metadata).await
}

/// The customer's data key, to seal a command's values with; `NotFound` once it is erased.
pub async fn key_of(
    runner: &CustomerRunner,
    customer_id: Uuid,
) -> Result<DataKey, RunError<CustomerError>> {
    runner
        .keys
        .find(customer_id)
        .await?
        .ok_or(RunError::Domain(CustomerError::NotFound))
}

/// Runs any command that writes nothing beside its events (a sign-up, an email or a password
/// change have functions of their own).
pub async fn execute(
    runner: &CustomerRunner,
    customer_id: Uuid,
    command: CustomerCommand,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>, RunError<CustomerError>> {
    run(runner, customer_id, command, Beside::Nothing, metadata).await
}

/// What a command writes beside its events, made before its transaction.
pub(super) enum Beside {
    Nothing,
    SignUp {
        /// The login's keyed hash.
        login: String,
        password_hash: String,
        key: NewSubjectKey,
    },
    Login(String),
    Password {
        hash: String,
        /// The session that changed it goes on; every other ends.
        session: Option<Uuid>,
    },
}

pub(super) async fn run(
    runner: &CustomerRunner,
    customer_id: Uuid,
    command: CustomerCommand,
    beside: Beside,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>, RunError<CustomerError>> {
    let hooks = Rows {
        runner: runner.clone(),
        beside,
        metadata: metadata.clone(),
    };
    aggregate::run(&runner.ports, &hooks, customer_id, command, metadata).await
}

struct Rows {
    runner: CustomerRunner,
    beside: Beside,
    metadata: EventMetadata,
}

impl Rows {
    /// The revocations `event` owes.
    fn owed(&self, id: Uuid, event: &CustomerEvent) -> Option<Owed> {
        let (reason, moment, except) = match (event, &self.beside) {
            (CustomerEvent::Erased(e), _) => (RevocationReason::PrincipalErased, e.erased_at, None),
            (CustomerEvent::PasswordChanged(e), Beside::Password { session, .. }) => {
                (RevocationReason::PasswordChanged, e.changed_at, *session)
            }
            _ => return None,
        };
        Some(Owed {
            principal_id: id,
            reason,
            moment,
            except,
            metadata: self.metadata.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Hooks<Customer> for Rows {
    type Ticket = ();

    async fn before_append(&self, _: &[CustomerEvent]) {}

    fn writes(&self, id: Uuid, events: &[CustomerEvent]) -> Vec<Box<dyn TransactionalWrite>> {
        let rows = &self.runner.rows;
        let mut writes: Vec<Box<dyn TransactionalWrite>> = Vec::new();
        for event in events {
            match (event, &self.beside) {
                (
                    CustomerEvent::SignedUp(_),
                    Beside::SignUp {
                        login,
                        password_hash,
                        key,
                    },
                ) => {
                    writes.push(rows.credential(id, login, password_hash));
                    writes.push(Box::new(key.clone()));
                }
                (CustomerEvent::EmailChanged(_), Beside::Login(login)) => {
                    writes.push(rows.login(id, login));
                }
                (CustomerEvent::PasswordChanged(_), Beside::Password { hash, .. }) => {
                    writes.push(rows.password(id, hash));
                }
                (CustomerEvent::Erased(_), _) => {
                    writes.push(self.runner.keys.shred(id));
                    writes.push(rows.forget_read_models(id));
                    writes.push(rows.forget_credential(id));
                }
                _ => {}
            }
            if let Some(owed) = self.owed(id, event) {
                writes.push(self.runner.owed.owe(&owed));
            }
        }
        writes
    }

    /// Ends the sessions the command owes; what fails here the sweeper settles later.
    async fn after_commit(&self, id: Uuid, appended: &[events::RawEvent], (): ()) {
        let owed = appended.iter().filter_map(|raw| {
            let recorded = CustomerEvent::from_raw(raw).ok()?;
            self.owed(id, &recorded.event)
        });
        for owed in owed.collect::<Vec<_>>() {
            let settled = settle(&self.runner.sessions, self.runner.owed.as_ref(), &owed).await;
            if let Err(error) = settled {
                tracing::warn!(?error, customer_id = %id, "owed revocations left to the sweeper");
            }
        }
    }
}
