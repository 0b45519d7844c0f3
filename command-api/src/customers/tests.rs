//! Given the customer's past events, when a command arrives, then these events (or this
//! refusal). Pure: no key, no store; sealed values are stand-ins.

use chrono::{DateTime, TimeZone, Utc};
use events::customers::*;
use uuid::Uuid;

use super::fields;
use super::*;

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0).single().expect("time")
}

fn sealed(text: &str) -> Sealed {
    Sealed(format!("enc:v1:{text}"))
}

fn given(commands: Vec<CustomerCommand>) -> Customer {
    commands
        .into_iter()
        .fold(Customer::default(), |state, command| {
            decide(&state, command, now())
                .expect("history is valid")
                .iter()
                .fold(state, |s, e| {
                    let version = s.version + 1;
                    s.evolve(version, e)
                })
        })
}

fn sign_up(id: Uuid) -> CustomerCommand {
    CustomerCommand::SignUp(SignUp {
        customer_id: id,
        email: sealed("email"),
        name: sealed("name"),
        phone: None,
    })
}

fn address(id: Uuid, shipping: bool, billing: bool) -> AddressEntry {
    AddressEntry {
        address_id: id,
        address: sealed("address"),
        default_shipping: shipping,
        default_billing: billing,
    }
}

#[test]
fn a_sign_up_happens_once() {
    let id = Uuid::now_v7();
    let events = decide(&Customer::default(), sign_up(id), now()).expect("signs up");
    assert!(matches!(&events[..], [CustomerEvent::SignedUp(e)] if e.customer_id == id));
    let customer = given(vec![sign_up(id)]);
    assert_eq!(
        decide(&customer, sign_up(id), now()),
        Err(CustomerError::AlreadySignedUp)
    );
}

#[test]
fn a_profile_change_records_the_whole_profile_keeping_what_it_does_not_name() {
    let id = Uuid::now_v7();
    let customer = given(vec![sign_up(id)]);
    let patch = ProfilePatch {
        phone: Some(Some(sealed("phone"))),
        ..ProfilePatch::default()
    };
    let events = decide(&customer, CustomerCommand::ChangeProfile(patch), now()).expect("ok");
    let [CustomerEvent::ProfileChanged(e)] = &events[..] else {
        panic!("one profile change: {events:?}");
    };
    assert_eq!(e.name, sealed("name"));
    assert_eq!(e.phone, Some(sealed("phone")));
    assert_eq!(e.birth_date, None);
}

#[test]
fn defaults_move_with_the_addresses_that_claim_them_and_go_with_removed_ones() {
    let (id, home, work) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let customer = given(vec![
        sign_up(id),
        CustomerCommand::AddAddress(address(home, true, true)),
        CustomerCommand::AddAddress(address(work, false, true)),
    ]);
    assert_eq!(customer.default_shipping, Some(home));
    assert_eq!(customer.default_billing, Some(work));
    let customer = given(vec![
        sign_up(id),
        CustomerCommand::AddAddress(address(home, true, true)),
        CustomerCommand::RemoveAddress(home),
    ]);
    assert_eq!(
        (customer.default_shipping, customer.default_billing),
        (None, None)
    );
    assert_eq!(
        decide(&customer, CustomerCommand::RemoveAddress(home), now()),
        Err(CustomerError::UnknownAddress)
    );
}

#[test]
fn the_address_book_holds_at_most_twenty() {
    let id = Uuid::now_v7();
    let mut history = vec![sign_up(id)];
    history.extend(
        (0..MAX_ADDRESSES)
            .map(|_| CustomerCommand::AddAddress(address(Uuid::now_v7(), false, false))),
    );
    let customer = given(history);
    let more = CustomerCommand::AddAddress(address(Uuid::now_v7(), false, false));
    assert_eq!(
        decide(&customer, more, now()),
        Err(CustomerError::TooManyAddresses)
    );
}

#[test]
fn only_consents_and_locales_that_change_are_recorded() {
    let id = Uuid::now_v7();
    let customer = given(vec![sign_up(id)]);
    let set = |consents: Vec<(Channel, bool)>, locale| {
        CustomerCommand::SetPreferences(Preferences { consents, locale })
    };
    let first = set(
        vec![(Channel::Email, true), (Channel::Sms, false)],
        Some(Some("de-CH".into())),
    );
    let events = decide(&customer, first.clone(), now()).expect("ok");
    assert_eq!(events.len(), 2, "email consent and locale: {events:?}");
    let customer = given(vec![sign_up(id), first.clone()]);
    assert_eq!(decide(&customer, first, now()), Ok(Vec::new()));
    let withdrawn = decide(&customer, set(vec![(Channel::Email, false)], None), now());
    assert!(matches!(
        &withdrawn.expect("ok")[..],
        [CustomerEvent::ConsentChanged(e)] if e.channel == Channel::Email && !e.granted
    ));
}

#[test]
fn segments_are_added_and_removed_once() {
    let id = Uuid::now_v7();
    let customer = given(vec![sign_up(id), CustomerCommand::AddSegment("vip".into())]);
    assert_eq!(
        decide(&customer, CustomerCommand::AddSegment("vip".into()), now()),
        Ok(Vec::new())
    );
    assert_eq!(
        decide(
            &customer,
            CustomerCommand::RemoveSegment("new".into()),
            now()
        ),
        Ok(Vec::new())
    );
    let removed = decide(
        &customer,
        CustomerCommand::RemoveSegment("vip".into()),
        now(),
    );
    assert_eq!(removed.expect("ok").len(), 1);
}

#[test]
fn an_erased_customer_keeps_no_sealed_field_and_refuses_everything_but_erasure() {
    let id = Uuid::now_v7();
    let customer = given(vec![
        sign_up(id),
        CustomerCommand::AddAddress(address(Uuid::now_v7(), true, false)),
        CustomerCommand::AddSegment("vip".into()),
        CustomerCommand::Erase,
    ]);
    assert_eq!(customer.erased_at, Some(now()));
    assert_eq!(customer.name, None);
    assert!(customer.addresses.is_empty() && customer.segments.is_empty());
    assert!(!customer.is_live());
    assert_eq!(
        decide(&customer, CustomerCommand::Erase, now()),
        Ok(Vec::new())
    );
    assert_eq!(
        decide(&customer, CustomerCommand::AddSegment("vip".into()), now()),
        Err(CustomerError::NotFound)
    );
    assert_eq!(
        decide(&Customer::default(), CustomerCommand::Erase, now()),
        Err(CustomerError::NotFound)
    );
}

#[test]
fn fields_are_checked_and_made_canonical() {
    assert_eq!(fields::phone("+41 44 668 18 00"), Ok("+41446681800".into()));
    for bad in ["0446681800", "+0123456789", "+12", "+41 44 abc"] {
        assert_eq!(
            fields::phone(bad).map_err(|e| e.field),
            Err("phone"),
            "{bad}"
        );
    }
    assert!(fields::birth_date("1990-02-28").is_ok());
    for bad in ["1890-01-01", "2999-01-01", "28.02.1990", "1990-02-30"] {
        assert!(fields::birth_date(bad).is_err(), "{bad}");
    }
    assert_eq!(fields::locale("de-CH"), Ok("de-CH".into()));
    assert!(fields::locale("deutsch").is_err() && fields::locale("d").is_err());
    assert_eq!(fields::segment("b2b_eu-2026"), Ok("b2b_eu-2026".into()));
    for bad in ["", "VIP", "1st", "a b", &"a".repeat(65)] {
        assert!(fields::segment(bad).is_err(), "{bad:?}");
    }
    let raw = fields::RawAddress {
        line1: " Bahnhofstrasse 1 ",
        city: "Zürich",
        postal_code: "8001",
        country: "ch",
        ..fields::RawAddress::default()
    };
    let parsed = fields::Address::parse(raw.clone()).expect("valid");
    assert_eq!(
        (parsed.line1.as_str(), parsed.country.as_str()),
        ("Bahnhofstrasse 1", "CH")
    );
    for (country, field) in [("XX", "country"), ("CHE", "country")] {
        let wrong = fields::RawAddress {
            country,
            ..raw.clone()
        };
        assert_eq!(
            fields::Address::parse(wrong).map_err(|e| e.field),
            Err(field)
        );
    }
    let empty = fields::RawAddress { line1: " ", ..raw };
    assert_eq!(
        fields::Address::parse(empty).map_err(|e| e.field),
        Err("line1")
    );
}

#[test]
fn an_email_or_password_change_is_recorded_and_the_state_keeps_the_sealed_email() {
    let id = Uuid::now_v7();
    let customer = given(vec![sign_up(id)]);
    assert_eq!(customer.email, Some(sealed("email")));
    let change = CustomerCommand::ChangeEmail(sealed("email2"));
    let events = decide(&customer, change.clone(), now()).expect("changes");
    assert!(matches!(&events[..], [CustomerEvent::EmailChanged(e)] if e.email == sealed("email2")));
    let customer = given(vec![sign_up(id), change]);
    assert_eq!(customer.email, Some(sealed("email2")));
    let events = decide(&customer, CustomerCommand::ChangePassword, now()).expect("changes");
    assert!(
        matches!(&events[..], [CustomerEvent::PasswordChanged(e)] if e.customer_id == id && e.changed_at == now())
    );
}

#[test]
fn an_erased_customer_changes_neither_email_nor_password() {
    let id = Uuid::now_v7();
    let customer = given(vec![sign_up(id), CustomerCommand::Erase]);
    assert_eq!(customer.email, None);
    for command in [
        CustomerCommand::ChangeEmail(sealed("email2")),
        CustomerCommand::ChangePassword,
    ] {
        assert_eq!(
            decide(&customer, command, now()),
            Err(CustomerError::NotFound)
        );
    }
}
