//! A customer's changes in the clear, sealed under its data key and then run: the profile and
//! the address book. The key is found first; none means the customer is erased (or never was),
//! which answers `NotFound` before anything is decided.

use chrono::NaiveDate;
use events::EventMetadata;
use events::customers::sealed_as;
use store::aggregate::{Outcome, RunError};
use store::event_store::StoreError;
use uuid::Uuid;

use super::fields::Address;
use super::{
    AddressEntry, Customer, CustomerCommand, CustomerError, CustomerRunner, ProfilePatch, execute,
    key_of, seal,
};

/// A profile change: `None` keeps a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub birth_date: Option<Option<NaiveDate>>,
}

/// An address book entry: the whole address, and whether it is a default.
#[derive(Debug, Clone)]
pub struct AddressChange {
    pub address_id: Uuid,
    pub address: Address,
    pub default_shipping: bool,
    pub default_billing: bool,
}

type Result<T> = std::result::Result<T, RunError<CustomerError>>;

pub async fn change_profile(
    runner: &CustomerRunner,
    customer_id: Uuid,
    change: ProfileChange,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>> {
    let key = key_of(runner, customer_id).await?;
    let sealed =
        |field: &str, value: Option<String>| value.map(|v| seal(&key, field, &v)).transpose();
    let patch = ProfilePatch {
        name: sealed(sealed_as::NAME, change.name)?,
        phone: change
            .phone
            .map(|phone| sealed(sealed_as::PHONE, phone))
            .transpose()?,
        birth_date: change
            .birth_date
            .map(|date| sealed(sealed_as::BIRTH_DATE, date.map(|d| d.to_string())))
            .transpose()?,
    };
    let command = CustomerCommand::ChangeProfile(patch);
    execute(runner, customer_id, command, metadata).await
}

/// Adds an address to the customer's book.
pub async fn add_address(
    runner: &CustomerRunner,
    customer_id: Uuid,
    change: AddressChange,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>> {
    let entry = sealed_entry(runner, customer_id, change).await?;
    let command = CustomerCommand::AddAddress(entry);
    execute(runner, customer_id, command, metadata).await
}

/// Replaces the address with the change's id.
pub async fn change_address(
    runner: &CustomerRunner,
    customer_id: Uuid,
    change: AddressChange,
    metadata: EventMetadata,
) -> Result<Outcome<Customer>> {
    let entry = sealed_entry(runner, customer_id, change).await?;
    let command = CustomerCommand::ChangeAddress(entry);
    execute(runner, customer_id, command, metadata).await
}

/// The address as one JSON document, sealed under the customer's key and bound to its id.
async fn sealed_entry(
    runner: &CustomerRunner,
    customer_id: Uuid,
    change: AddressChange,
) -> Result<AddressEntry> {
    let key = key_of(runner, customer_id).await?;
    let document =
        serde_json::to_string(&change.address).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(AddressEntry {
        address_id: change.address_id,
        address: seal(&key, &sealed_as::address(change.address_id), &document)?,
        default_shipping: change.default_shipping,
        default_billing: change.default_billing,
    })
}
