//! A customer's login: its email and password. The current email and name are opened with the
//! customer's key (the caller re-authenticates with them and checks a new password against
//! them); a new email is sealed like any personal field and its keyed hash replaces the
//! credential's login in the same transaction as `customer.email_changed`.

use events::EventMetadata;
use events::customers::{Sealed, sealed_as};
use store::aggregate::{Outcome, RunError, load};
use store::event_store::StoreError;
use store::subject_keys::DataKey;
use uuid::Uuid;

use super::execute::{Beside, run};
use super::fields::Email;
use super::{Customer, CustomerCommand, CustomerError, CustomerRunner, key_of, seal};

type Result<T> = std::result::Result<T, RunError<CustomerError>>;

/// What a customer logs in with, in the clear, at a stream version, and the key it was opened
/// with (which seals a new email).
pub struct CurrentLogin {
    pub email: String,
    pub name: String,
    pub version: i64,
    key: DataKey,
}

impl std::fmt::Debug for CurrentLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentLogin")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// The customer's current email and name; `NotFound` once it is erased.
pub async fn current_login(runner: &CustomerRunner, customer_id: Uuid) -> Result<CurrentLogin> {
    let key = key_of(runner, customer_id).await?;
    let stream = events::topics::Category::Customers.stream_id(customer_id);
    let (customer, _) = load::<Customer>(&runner.ports, &stream).await?;
    let (Some(email), Some(name)) = (&customer.email, &customer.name) else {
        return Err(RunError::Domain(CustomerError::NotFound));
    };
    Ok(CurrentLogin {
        email: open(&key, sealed_as::EMAIL, email)?,
        name: open(&key, sealed_as::NAME, name)?,
        version: customer.version,
        key,
    })
}

fn open(key: &DataKey, field: &str, sealed: &Sealed) -> Result<String> {
    key.open(field, &sealed.0)
        .map_err(|e| RunError::Store(StoreError::Corrupt(format!("{field}: {e}"))))
}

/// Makes `email` the login of the customer whose login is `current`; one another principal
/// holds fails with `StoreError::Taken`.
pub async fn change_email(
    runner: &CustomerRunner,
    customer_id: Uuid,
    current: &CurrentLogin,
    email: &Email,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>> {
    let sealed = seal(&current.key, sealed_as::EMAIL, email.as_str())?;
    let command = CustomerCommand::ChangeEmail(sealed);
    let login = runner.logins.digest(email.as_str());
    run(runner, customer_id, command, Beside::Login(login), metadata).await
}

/// Replaces the customer's password hash; every session but `session` ends.
pub async fn change_password(
    runner: &CustomerRunner,
    customer_id: Uuid,
    hash: String,
    session: Option<Uuid>,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>> {
    let beside = Beside::Password { hash, session };
    run(
        runner,
        customer_id,
        CustomerCommand::ChangePassword,
        beside,
        metadata,
    )
    .await
}
