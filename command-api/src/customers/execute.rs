//! Customer commands on the generic runner. Personal values are sealed here, under the
//! customer's data key, before anything is decided: a sign-up makes the key and stores it
//! wrapped with its events, later commands find it (none: the customer is erased or never was),
//! an erasure deletes it, the customer's credential and its email reservation in the same
//! transaction as `customer.erased`, and owes the end of every session (`PRINCIPAL_ERASED`).

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
    let hooks = Rows {
        runner: runner.clone(),
        sign_up: Some(SignUpRows {
            login: runner.logins.digest(new.email.as_str()),
            password_hash: new.password_hash,
            key: stored_key,
        }),
        metadata: metadata.clone(),
    };
    aggregate::run(&runner.ports, &hooks, customer_id, command, metadata).await
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

/// Runs any command but a sign-up (whose values [`sign_up`] seals).
pub async fn execute(
    runner: &CustomerRunner,
    customer_id: Uuid,
    command: CustomerCommand,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>, RunError<CustomerError>> {
    let hooks = Rows {
        runner: runner.clone(),
        sign_up: None,
        metadata: metadata.clone(),
    };
    aggregate::run(&runner.ports, &hooks, customer_id, command, metadata).await
}

struct Rows {
    runner: CustomerRunner,
    sign_up: Option<SignUpRows>,
    metadata: EventMetadata,
}

/// What a sign-up writes beside its event.
struct SignUpRows {
    /// The login's keyed hash.
    login: String,
    password_hash: String,
    key: NewSubjectKey,
}

impl Rows {
    fn owed(&self, id: Uuid, event: &CustomerEvent) -> Option<Owed> {
        let CustomerEvent::Erased(e) = event else {
            return None;
        };
        Some(Owed {
            principal_id: id,
            reason: RevocationReason::PrincipalErased,
            moment: e.erased_at,
            except: None,
            metadata: self.metadata.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Hooks<Customer> for Rows {
    type Ticket = ();

    async fn before_append(&self, _: &[CustomerEvent]) {}

    fn writes(&self, id: Uuid, events: &[CustomerEvent]) -> Vec<Box<dyn TransactionalWrite>> {
        let mut writes: Vec<Box<dyn TransactionalWrite>> = Vec::new();
        for event in events {
            if let (CustomerEvent::SignedUp(_), Some(new)) = (event, &self.sign_up) {
                let rows = &self.runner.rows;
                writes.push(rows.credential(id, &new.login, &new.password_hash));
                writes.push(Box::new(new.key.clone()));
            }
            if let Some(owed) = self.owed(id, event) {
                writes.push(self.runner.keys.shred(id));
                writes.push(self.runner.rows.forget_read_models(id));
                writes.push(self.runner.rows.forget_credential(id));
                writes.push(self.runner.owed.owe(&owed));
            }
        }
        writes
    }

    /// Ends the erased customer's sessions; what fails here the sweeper settles later.
    async fn after_commit(&self, id: Uuid, appended: &[events::RawEvent], (): ()) {
        let erased = appended.iter().filter_map(|raw| {
            let recorded = CustomerEvent::from_raw(raw).ok()?;
            self.owed(id, &recorded.event)
        });
        for owed in erased.collect::<Vec<_>>() {
            let settled = settle(&self.runner.sessions, self.runner.owed.as_ref(), &owed).await;
            if let Err(error) = settled {
                tracing::warn!(?error, customer_id = %id, "owed revocations left to the sweeper");
            }
        }
    }
}
