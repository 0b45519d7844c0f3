//! The customer events: personal fields travel as the sealed text they were given.

use events::customers::*;
use events::{Actor, Envelope, EventFamily};
use uuid::Uuid;

use super::{at, check_family, envelope};

fn sealed(text: &str) -> Sealed {
    Sealed(format!("enc:v1:{text}"))
}

fn samples() -> Vec<(Envelope, CustomerEvent)> {
    let customer_id = Uuid::now_v7();
    let address_id = Uuid::now_v7();
    let itself = || Some(Actor::Customer(customer_id));
    vec![
        (
            envelope(1, None),
            CustomerEvent::SignedUp(CustomerSignedUp {
                customer_id,
                email: sealed("email"),
                name: sealed("name"),
                phone: None,
                signed_up_at: at(1),
            }),
        ),
        (
            envelope(2, itself()),
            CustomerEvent::ProfileChanged(CustomerProfileChanged {
                customer_id,
                name: sealed("name2"),
                phone: Some(sealed("phone")),
                birth_date: Some(sealed("birth")),
                changed_at: at(2),
            }),
        ),
        (
            envelope(3, itself()),
            CustomerEvent::AddressAdded(CustomerAddressAdded {
                customer_id,
                address_id,
                address: sealed("address"),
                default_shipping: true,
                default_billing: false,
                added_at: at(3),
            }),
        ),
        (
            envelope(4, itself()),
            CustomerEvent::AddressChanged(CustomerAddressChanged {
                customer_id,
                address_id,
                address: sealed("address2"),
                default_shipping: false,
                default_billing: true,
                changed_at: at(4),
            }),
        ),
        (
            envelope(5, itself()),
            CustomerEvent::AddressRemoved(CustomerAddressRemoved {
                customer_id,
                address_id,
                removed_at: at(5),
            }),
        ),
        (
            envelope(6, itself()),
            CustomerEvent::ConsentChanged(CustomerConsentChanged {
                customer_id,
                channel: Channel::Sms,
                granted: true,
                changed_at: at(6),
            }),
        ),
        (
            envelope(7, itself()),
            CustomerEvent::LocaleChanged(CustomerLocaleChanged {
                customer_id,
                locale: Some("de-CH".into()),
                changed_at: at(7),
            }),
        ),
        (
            envelope(8, Some(Actor::User(Uuid::now_v7()))),
            CustomerEvent::SegmentAdded(CustomerSegmentAdded {
                customer_id,
                segment: "vip".into(),
                added_at: at(8),
            }),
        ),
        (
            envelope(9, Some(Actor::User(Uuid::now_v7()))),
            CustomerEvent::SegmentRemoved(CustomerSegmentRemoved {
                customer_id,
                segment: "vip".into(),
                removed_at: at(9),
            }),
        ),
        (
            envelope(10, itself()),
            CustomerEvent::EmailChanged(CustomerEmailChanged {
                customer_id,
                email: sealed("email2"),
                changed_at: at(10),
            }),
        ),
        (
            envelope(11, Some(Actor::User(Uuid::now_v7()))),
            CustomerEvent::PasswordChanged(CustomerPasswordChanged {
                customer_id,
                changed_at: at(11),
            }),
        ),
        (
            envelope(12, itself()),
            CustomerEvent::Erased(CustomerErased {
                customer_id,
                erased_at: at(12),
            }),
        ),
    ]
}

#[test]
fn customer_events_round_trip_through_avro_and_stored_json() {
    check_family(samples());
}

#[test]
fn the_schemas_mark_every_personal_field_encrypted_and_only_those() {
    let personal = ["email", "name", "phone", "birth_date", "address"];
    for t in CustomerEvent::TYPES {
        let schema: serde_json::Value = serde_json::from_str(t.schema).expect("schema is JSON");
        for field in schema["fields"].as_array().expect("fields") {
            let name = field["name"].as_str().expect("field name");
            let encrypted = field["encrypted"].as_bool().unwrap_or(false);
            assert_eq!(
                encrypted,
                personal.contains(&name),
                "{}: field {name} encrypted={encrypted}",
                t.name
            );
        }
    }
}
