use chrono::Utc;
use events::customers::{
    Channel, CustomerAddressAdded, CustomerConsentChanged, CustomerEmailChanged, CustomerEvent,
    CustomerPasswordChanged, CustomerSignedUp, Sealed, sealed_as,
};
use serde_json::json;
use store::customer_directory::CustomerChange;
use store::subject_keys::DataKey;
use uuid::Uuid;

use super::change;

fn sealed(key: &DataKey, field: &str, value: &str) -> Sealed {
    Sealed(key.seal(field, value).expect("sealed"))
}

fn signed_up(key: &DataKey, customer_id: Uuid) -> CustomerEvent {
    CustomerEvent::SignedUp(CustomerSignedUp {
        customer_id,
        email: sealed(key, sealed_as::EMAIL, "ada@example.test"),
        name: sealed(key, sealed_as::NAME, "Ada"),
        phone: None,
        signed_up_at: Utc::now(),
    })
}

#[test]
fn sealed_fields_are_opened_with_the_customer_s_key() {
    let customer_id = Uuid::now_v7();
    let key = DataKey::generate(customer_id).expect("key");
    assert_eq!(
        change(&signed_up(&key, customer_id), Some(&key)),
        Ok(CustomerChange::SignedUp {
            email: Some("ada@example.test".into()),
            name: Some("Ada".into()),
            phone: None,
        })
    );
    let address_id = Uuid::now_v7();
    let document = json!({ "line1": "1 Main St", "city": "Springfield", "country": "US" });
    let added = CustomerEvent::AddressAdded(CustomerAddressAdded {
        customer_id,
        address_id,
        address: sealed(&key, &sealed_as::address(address_id), &document.to_string()),
        default_shipping: true,
        default_billing: false,
        added_at: Utc::now(),
    });
    assert_eq!(
        change(&added, Some(&key)),
        Ok(CustomerChange::AddressPut {
            address_id,
            address: document,
            default_shipping: true,
            default_billing: false,
        })
    );
}

#[test]
fn an_email_change_opens_and_a_password_change_touches_no_row() {
    let customer_id = Uuid::now_v7();
    let key = DataKey::generate(customer_id).expect("key");
    let email = CustomerEvent::EmailChanged(CustomerEmailChanged {
        customer_id,
        email: sealed(&key, sealed_as::EMAIL, "ada@shop.test"),
        changed_at: Utc::now(),
    });
    assert_eq!(
        change(&email, Some(&key)),
        Ok(CustomerChange::Email("ada@shop.test".into()))
    );
    let password = CustomerEvent::PasswordChanged(CustomerPasswordChanged {
        customer_id,
        changed_at: Utc::now(),
    });
    assert_eq!(change(&password, Some(&key)), Ok(CustomerChange::Untouched));
}

#[test]
fn without_the_key_every_event_leaves_no_rows() {
    let customer_id = Uuid::now_v7();
    let key = DataKey::generate(customer_id).expect("key");
    let consent = CustomerEvent::ConsentChanged(CustomerConsentChanged {
        customer_id,
        channel: Channel::Email,
        granted: true,
        changed_at: Utc::now(),
    });
    for event in [signed_up(&key, customer_id), consent] {
        assert_eq!(change(&event, None), Ok(CustomerChange::Erased));
    }
}

#[test]
fn a_field_that_does_not_open_with_an_existing_key_is_a_poison() {
    let customer_id = Uuid::now_v7();
    let other = DataKey::generate(Uuid::now_v7()).expect("another subject's key");
    let key = DataKey::generate(customer_id).expect("key");
    let error = change(&signed_up(&other, customer_id), Some(&key)).expect_err("refused");
    assert!(error.starts_with("email does not open"), "{error}");
}
