//! Every rule of the customer aggregate: the events a command causes, or why it is refused.
//! Personal values arrive sealed (the caller holds the customer's key), so a profile change
//! cannot be compared with what is stored and always records the profile it sets (an email
//! change is compared in the clear by its caller, who opens the current one); consents,
//! the locale and segments that change nothing cause no event. An erased customer is gone:
//! every command but a repeated erasure answers `NotFound`.

use chrono::{DateTime, Utc};
use events::customers::*;
use uuid::Uuid;

use super::state::Customer;

/// At most this many addresses in one customer's address book.
pub const MAX_ADDRESSES: usize = 20;

#[derive(Debug, Clone)]
pub enum CustomerCommand {
    SignUp(SignUp),
    ChangeProfile(ProfilePatch),
    /// The new login, sealed; the caller checked it differs from the current one.
    ChangeEmail(Sealed),
    /// The new hash is written beside the event, never in it.
    ChangePassword,
    AddAddress(AddressEntry),
    ChangeAddress(AddressEntry),
    RemoveAddress(Uuid),
    SetPreferences(Preferences),
    AddSegment(String),
    RemoveSegment(String),
    Erase,
}

#[derive(Debug, Clone)]
pub struct SignUp {
    pub customer_id: Uuid,
    pub email: Sealed,
    pub name: Sealed,
    pub phone: Option<Sealed>,
}

/// A partial profile: `None` keeps a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub name: Option<Sealed>,
    pub phone: Option<Option<Sealed>>,
    pub birth_date: Option<Option<Sealed>>,
}

#[derive(Debug, Clone)]
pub struct AddressEntry {
    pub address_id: Uuid,
    pub address: Sealed,
    pub default_shipping: bool,
    pub default_billing: bool,
}

/// The preferences a request sets; channels it does not name keep their consent.
#[derive(Debug, Clone, Default)]
pub struct Preferences {
    pub consents: Vec<(Channel, bool)>,
    /// `None` keeps the locale, `Some(None)` clears it.
    pub locale: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("no such customer")]
    NotFound,
    #[error("the customer exists already")]
    AlreadySignedUp,
    #[error("no such address")]
    UnknownAddress,
    #[error("at most {MAX_ADDRESSES} addresses")]
    TooManyAddresses,
}

pub fn decide(
    customer: &Customer,
    command: CustomerCommand,
    now: DateTime<Utc>,
) -> Result<Vec<CustomerEvent>, CustomerError> {
    if let CustomerCommand::SignUp(sign_up) = command {
        return match customer.id {
            Some(_) => Err(CustomerError::AlreadySignedUp),
            None => Ok(vec![CustomerEvent::SignedUp(CustomerSignedUp {
                customer_id: sign_up.customer_id,
                email: sign_up.email,
                name: sign_up.name,
                phone: sign_up.phone,
                signed_up_at: now,
            })]),
        };
    }
    let customer_id = customer.id.ok_or(CustomerError::NotFound)?;
    if customer.erased_at.is_some() {
        return match command {
            CustomerCommand::Erase => Ok(Vec::new()),
            _ => Err(CustomerError::NotFound),
        };
    }
    let events = match command {
        CustomerCommand::SignUp(_) => return Err(CustomerError::AlreadySignedUp),
        CustomerCommand::ChangeProfile(patch) => vec![profile(customer, customer_id, patch, now)?],
        CustomerCommand::ChangeEmail(email) => {
            vec![CustomerEvent::EmailChanged(CustomerEmailChanged {
                customer_id,
                email,
                changed_at: now,
            })]
        }
        CustomerCommand::ChangePassword => {
            vec![CustomerEvent::PasswordChanged(CustomerPasswordChanged {
                customer_id,
                changed_at: now,
            })]
        }
        CustomerCommand::AddAddress(entry) => {
            if customer.addresses.len() >= MAX_ADDRESSES {
                return Err(CustomerError::TooManyAddresses);
            }
            vec![CustomerEvent::AddressAdded(CustomerAddressAdded {
                customer_id,
                address_id: entry.address_id,
                address: entry.address,
                default_shipping: entry.default_shipping,
                default_billing: entry.default_billing,
                added_at: now,
            })]
        }
        CustomerCommand::ChangeAddress(entry) => {
            known(customer, entry.address_id)?;
            vec![CustomerEvent::AddressChanged(CustomerAddressChanged {
                customer_id,
                address_id: entry.address_id,
                address: entry.address,
                default_shipping: entry.default_shipping,
                default_billing: entry.default_billing,
                changed_at: now,
            })]
        }
        CustomerCommand::RemoveAddress(address_id) => {
            known(customer, address_id)?;
            vec![CustomerEvent::AddressRemoved(CustomerAddressRemoved {
                customer_id,
                address_id,
                removed_at: now,
            })]
        }
        CustomerCommand::SetPreferences(preferences) => {
            preferences_changed(customer, customer_id, preferences, now)
        }
        CustomerCommand::AddSegment(segment) => (!customer.segments.contains(&segment))
            .then_some(CustomerEvent::SegmentAdded(CustomerSegmentAdded {
                customer_id,
                segment,
                added_at: now,
            }))
            .into_iter()
            .collect(),
        CustomerCommand::RemoveSegment(segment) => customer
            .segments
            .contains(&segment)
            .then_some(CustomerEvent::SegmentRemoved(CustomerSegmentRemoved {
                customer_id,
                segment,
                removed_at: now,
            }))
            .into_iter()
            .collect(),
        CustomerCommand::Erase => vec![CustomerEvent::Erased(CustomerErased {
            customer_id,
            erased_at: now,
        })],
    };
    Ok(events)
}

fn known(customer: &Customer, address_id: Uuid) -> Result<(), CustomerError> {
    match customer.addresses.contains(&address_id) {
        true => Ok(()),
        false => Err(CustomerError::UnknownAddress),
    }
}

fn profile(
    customer: &Customer,
    customer_id: Uuid,
    patch: ProfilePatch,
    now: DateTime<Utc>,
) -> Result<CustomerEvent, CustomerError> {
    let name = patch.name.or_else(|| customer.name.clone());
    Ok(CustomerEvent::ProfileChanged(CustomerProfileChanged {
        customer_id,
        name: name.ok_or(CustomerError::NotFound)?,
        phone: patch.phone.unwrap_or_else(|| customer.phone.clone()),
        birth_date: patch
            .birth_date
            .unwrap_or_else(|| customer.birth_date.clone()),
        changed_at: now,
    }))
}

fn preferences_changed(
    customer: &Customer,
    customer_id: Uuid,
    preferences: Preferences,
    now: DateTime<Utc>,
) -> Vec<CustomerEvent> {
    let consents = preferences
        .consents
        .into_iter()
        .filter(|(channel, granted)| {
            customer.consents.get(channel).copied().unwrap_or(false) != *granted
        })
        .map(|(channel, granted)| {
            CustomerEvent::ConsentChanged(CustomerConsentChanged {
                customer_id,
                channel,
                granted,
                changed_at: now,
            })
        });
    let locale = preferences
        .locale
        .filter(|locale| *locale != customer.locale)
        .map(|locale| {
            CustomerEvent::LocaleChanged(CustomerLocaleChanged {
                customer_id,
                locale,
                changed_at: now,
            })
        });
    consents.chain(locale).collect()
}
