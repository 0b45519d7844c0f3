//! Events of the customer aggregate: one stream per customer (`customer-<id>`). Personal fields
//! ([`Sealed`]) hold only ciphertext under the customer's data key, sealed before the event is
//! decided; the rest (ids, flags, consents, segments, times) is in the clear for consumers.

mod wire;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use wire::{
    CustomerAddressAddedV1, CustomerAddressChangedV1, CustomerAddressRemovedV1,
    CustomerConsentChangedV1, CustomerEmailChangedV1, CustomerErasedV1, CustomerLocaleChangedV1,
    CustomerPasswordChangedV1, CustomerProfileChangedV1, CustomerSegmentAddedV1,
    CustomerSegmentRemovedV1, CustomerSignedUpV1,
};

use crate::topics::Category;

crate::event_family! {
    /// Everything that happens to a customer account.
    pub enum CustomerEvent in Category::Customers {
        SignedUp(CustomerSignedUp) = "customer.signed_up.v1",
            wire CustomerSignedUpV1, record "identity.customers.CustomerSignedUpV1",
            schema "customers/customer.signed_up.v1.avsc";
        ProfileChanged(CustomerProfileChanged) = "customer.profile_changed.v1",
            wire CustomerProfileChangedV1, record "identity.customers.CustomerProfileChangedV1",
            schema "customers/customer.profile_changed.v1.avsc";
        EmailChanged(CustomerEmailChanged) = "customer.email_changed.v1",
            wire CustomerEmailChangedV1, record "identity.customers.CustomerEmailChangedV1",
            schema "customers/customer.email_changed.v1.avsc";
        PasswordChanged(CustomerPasswordChanged) = "customer.password_changed.v1",
            wire CustomerPasswordChangedV1, record "identity.customers.CustomerPasswordChangedV1",
            schema "customers/customer.password_changed.v1.avsc";
        AddressAdded(CustomerAddressAdded) = "customer.address_added.v1",
            wire CustomerAddressAddedV1, record "identity.customers.CustomerAddressAddedV1",
            schema "customers/customer.address_added.v1.avsc";
        AddressChanged(CustomerAddressChanged) = "customer.address_changed.v1",
            wire CustomerAddressChangedV1, record "identity.customers.CustomerAddressChangedV1",
            schema "customers/customer.address_changed.v1.avsc";
        AddressRemoved(CustomerAddressRemoved) = "customer.address_removed.v1",
            wire CustomerAddressRemovedV1, record "identity.customers.CustomerAddressRemovedV1",
            schema "customers/customer.address_removed.v1.avsc";
        ConsentChanged(CustomerConsentChanged) = "customer.consent_changed.v1",
            wire CustomerConsentChangedV1, record "identity.customers.CustomerConsentChangedV1",
            schema "customers/customer.consent_changed.v1.avsc";
        LocaleChanged(CustomerLocaleChanged) = "customer.locale_changed.v1",
            wire CustomerLocaleChangedV1, record "identity.customers.CustomerLocaleChangedV1",
            schema "customers/customer.locale_changed.v1.avsc";
        SegmentAdded(CustomerSegmentAdded) = "customer.segment_added.v1",
            wire CustomerSegmentAddedV1, record "identity.customers.CustomerSegmentAddedV1",
            schema "customers/customer.segment_added.v1.avsc";
        SegmentRemoved(CustomerSegmentRemoved) = "customer.segment_removed.v1",
            wire CustomerSegmentRemovedV1, record "identity.customers.CustomerSegmentRemovedV1",
            schema "customers/customer.segment_removed.v1.avsc";
        Erased(CustomerErased) = "customer.erased.v1",
            wire CustomerErasedV1, record "identity.customers.CustomerErasedV1",
            schema "customers/customer.erased.v1.avsc";
    }
}

/// A personal field as events hold it: ciphertext (`enc:v1:…`) under the customer's data key,
/// never the value itself. Made by whoever holds the key; this crate never sees the plain value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sealed(pub String);

/// The names personal fields are sealed under: part of each ciphertext's associated data, so a
/// value moved to another field (or another address) does not open.
pub mod sealed_as {
    use uuid::Uuid;

    pub const EMAIL: &str = "email";
    pub const NAME: &str = "profile.name";
    pub const PHONE: &str = "profile.phone";
    pub const BIRTH_DATE: &str = "profile.birth_date";

    /// An address (the whole address as one JSON document), bound to its id.
    pub fn address(address_id: Uuid) -> String {
        format!("address.{address_id}")
    }
}

/// Whether `name` is a segment name: a lower-case letter, then lower-case letters, digits, `-`
/// or `_`; 1 to 64 characters (`vip`, `newsletter-2026`, `b2b_eu`).
pub fn is_segment_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A marketing channel a customer consents to, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Push,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Push];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }
}

impl std::str::FromStr for Channel {
    type Err = crate::EventError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| crate::EventError::invalid("channel", s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSignedUp {
    pub customer_id: Uuid,
    pub email: Sealed,
    pub name: Sealed,
    pub phone: Option<Sealed>,
    pub signed_up_at: DateTime<Utc>,
}

/// The profile after the change, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerProfileChanged {
    pub customer_id: Uuid,
    pub name: Sealed,
    pub phone: Option<Sealed>,
    pub birth_date: Option<Sealed>,
    pub changed_at: DateTime<Utc>,
}

/// The customer's new login; the old one is free from this event on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerEmailChanged {
    pub customer_id: Uuid,
    pub email: Sealed,
    pub changed_at: DateTime<Utc>,
}

/// The customer's password changed (the hash is never part of an event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPasswordChanged {
    pub customer_id: Uuid,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddressAdded {
    pub customer_id: Uuid,
    pub address_id: Uuid,
    /// The address's fields as JSON, sealed as one.
    pub address: Sealed,
    pub default_shipping: bool,
    pub default_billing: bool,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddressChanged {
    pub customer_id: Uuid,
    pub address_id: Uuid,
    pub address: Sealed,
    pub default_shipping: bool,
    pub default_billing: bool,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddressRemoved {
    pub customer_id: Uuid,
    pub address_id: Uuid,
    pub removed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerConsentChanged {
    pub customer_id: Uuid,
    pub channel: Channel,
    pub granted: bool,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLocaleChanged {
    pub customer_id: Uuid,
    pub locale: Option<String>,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSegmentAdded {
    pub customer_id: Uuid,
    pub segment: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSegmentRemoved {
    pub customer_id: Uuid,
    pub segment: String,
    pub removed_at: DateTime<Utc>,
}

/// The customer's data key was deleted with this event: nothing sealed for it opens any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerErased {
    pub customer_id: Uuid,
    pub erased_at: DateTime<Utc>,
}
