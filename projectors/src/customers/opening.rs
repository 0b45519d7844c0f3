//! A customer's event as the customer directory takes it: its sealed fields opened with the
//! customer's data key. Without the key (the customer is erased, or a rebuild replays one that
//! was) every event is [`CustomerChange::Erased`]: no rows, never an error. A field that does
//! not open with a key that exists is a poison record.

use events::customers::{CustomerEvent, Sealed, sealed_as};
use store::customer_directory::CustomerChange;
use store::subject_keys::DataKey;

/// What `event` does to the customer's rows, given its key (`None`: gone).
pub fn change(event: &CustomerEvent, key: Option<&DataKey>) -> Result<CustomerChange, String> {
    let Some(key) = key else {
        return Ok(CustomerChange::Erased);
    };
    let open = |field: &str, sealed: &Sealed| {
        key.open(field, &sealed.0)
            .map_err(|e| format!("{field} does not open: {e}"))
    };
    let open_optional =
        |field: &str, sealed: &Option<Sealed>| sealed.as_ref().map(|s| open(field, s)).transpose();
    Ok(match event {
        CustomerEvent::SignedUp(e) => CustomerChange::SignedUp {
            email: Some(open(sealed_as::EMAIL, &e.email)?),
            name: Some(open(sealed_as::NAME, &e.name)?),
            phone: open_optional(sealed_as::PHONE, &e.phone)?,
        },
        CustomerEvent::ProfileChanged(e) => CustomerChange::Profile {
            name: Some(open(sealed_as::NAME, &e.name)?),
            phone: open_optional(sealed_as::PHONE, &e.phone)?,
            birth_date: open_optional(sealed_as::BIRTH_DATE, &e.birth_date)?,
        },
        CustomerEvent::EmailChanged(e) => CustomerChange::Email(open(sealed_as::EMAIL, &e.email)?),
        CustomerEvent::PasswordChanged(_) => CustomerChange::Untouched,
        CustomerEvent::AddressAdded(e) => address_put(
            open(&sealed_as::address(e.address_id), &e.address)?,
            e.address_id,
            e.default_shipping,
            e.default_billing,
        )?,
        CustomerEvent::AddressChanged(e) => address_put(
            open(&sealed_as::address(e.address_id), &e.address)?,
            e.address_id,
            e.default_shipping,
            e.default_billing,
        )?,
        CustomerEvent::AddressRemoved(e) => CustomerChange::AddressRemoved {
            address_id: e.address_id,
        },
        CustomerEvent::ConsentChanged(e) => CustomerChange::Consent {
            channel: e.channel,
            granted: e.granted,
        },
        CustomerEvent::LocaleChanged(e) => CustomerChange::Locale(e.locale.clone()),
        CustomerEvent::SegmentAdded(e) => CustomerChange::SegmentAdded(e.segment.clone()),
        CustomerEvent::SegmentRemoved(e) => CustomerChange::SegmentRemoved(e.segment.clone()),
        CustomerEvent::Erased(_) => CustomerChange::Erased,
    })
}

fn address_put(
    document: String,
    address_id: uuid::Uuid,
    default_shipping: bool,
    default_billing: bool,
) -> Result<CustomerChange, String> {
    let address = serde_json::from_str(&document)
        .map_err(|e| format!("address {address_id} is not a JSON document: {e}"))?;
    Ok(CustomerChange::AddressPut {
        address_id,
        address,
        default_shipping,
        default_billing,
    })
}

#[cfg(test)]
mod tests;
