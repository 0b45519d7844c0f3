//! Every event of every family survives domain → Avro datum (validated against its `.avsc`) →
//! domain, and the stored JSON payload form; written straight from its wire record, the datum
//! is the same bytes. Pure: the registry round trip is tested in `devtools`.

use std::collections::BTreeMap;

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use chrono::{DateTime, TimeZone, Utc};
use events::roles::RoleEvent;
use events::sessions::*;
use events::users::*;
use events::{Actor, Envelope, EventFamily, EventMetadata, PrincipalType, RawEvent};
use uuid::Uuid;

mod customers;
mod roles;

pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 123_456_000)
        .single()
        .expect("valid test timestamp")
}

pub(crate) fn envelope(version: i64, actor: Option<Actor>) -> Envelope {
    Envelope {
        event_id: Uuid::now_v7(),
        stream_id: format!("sessions-{}", Uuid::nil()),
        version,
        recorded_at: at(version),
        metadata: EventMetadata {
            actor,
            correlation_id: Uuid::now_v7(),
            causation_id: Some(Uuid::now_v7()),
            traceparent: Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into()),
            tracestate: None,
        },
    }
}

fn samples() -> Vec<(Envelope, SessionEvent)> {
    let session_id = Uuid::now_v7();
    let principal = Uuid::now_v7();
    vec![
        (
            envelope(1, Some(Actor::User(principal))),
            SessionEvent::Started(SessionStarted {
                session_id,
                principal_id: principal,
                principal_type: PrincipalType::User,
                refresh_token_hash: "ab".repeat(32),
                user_agent: Some("curl/8".into()),
                ip: None,
                started_at: at(1),
                idle_timeout_secs: 1800,
                expires_at: at(86_400),
            }),
        ),
        (
            envelope(2, None),
            SessionEvent::Refreshed(SessionRefreshed {
                session_id,
                refresh_token_hash: "cd".repeat(32),
                refreshed_at: at(2),
            }),
        ),
        (
            envelope(3, Some(Actor::System("session-limit".into()))),
            SessionEvent::Revoked(SessionRevoked {
                session_id,
                reason: RevocationReason::SessionLimitEviction,
                metadata: BTreeMap::from([("ip".into(), "10.0.0.1".into())]),
                revoked_by: Actor::System("session-limit".into()),
                revoked_at: at(3),
            }),
        ),
        (
            envelope(4, Some(Actor::Customer(principal))),
            SessionEvent::RefreshTokenReuseDetected(RefreshTokenReuseDetected {
                session_id,
                detected_at: at(4),
                user_agent: None,
                ip: Some("::1".into()),
            }),
        ),
        (
            envelope(5, None),
            SessionEvent::LoginLockedOut(LoginLockedOut {
                failed_attempts: 5,
                lockout_count: 2,
                locked_at: at(5),
                locked_until: at(125),
            }),
        ),
    ]
}

fn user_samples() -> Vec<(Envelope, UserEvent)> {
    let user_id = Uuid::now_v7();
    vec![
        (
            envelope(1, Some(Actor::System("bootstrap".into()))),
            UserEvent::Registered(UserRegistered {
                user_id,
                email: "ada@example.test".into(),
                display_name: "Ada".into(),
                registered_at: at(1),
            }),
        ),
        (
            envelope(2, Some(Actor::User(Uuid::now_v7()))),
            UserEvent::RoleAssigned(UserRoleAssigned {
                user_id,
                role_id: Uuid::now_v7(),
                assigned_at: at(2),
            }),
        ),
        (
            envelope(3, Some(Actor::User(Uuid::now_v7()))),
            UserEvent::RoleUnassigned(UserRoleUnassigned {
                user_id,
                role_id: Uuid::now_v7(),
                unassigned_at: at(3),
            }),
        ),
        (
            envelope(4, Some(Actor::User(user_id))),
            UserEvent::DisplayNameChanged(UserDisplayNameChanged {
                user_id,
                display_name: "Ada Lovelace".into(),
                changed_at: at(4),
            }),
        ),
        (
            envelope(5, Some(Actor::User(user_id))),
            UserEvent::EmailChanged(UserEmailChanged {
                user_id,
                email: "ada.lovelace@example.test".into(),
                changed_at: at(5),
            }),
        ),
        (
            envelope(6, Some(Actor::User(user_id))),
            UserEvent::PasswordChanged(UserPasswordChanged {
                user_id,
                changed_at: at(6),
            }),
        ),
        (
            envelope(7, Some(Actor::User(Uuid::now_v7()))),
            UserEvent::Disabled(UserDisabled {
                user_id,
                disabled_at: at(7),
            }),
        ),
        (
            envelope(8, Some(Actor::User(Uuid::now_v7()))),
            UserEvent::Enabled(UserEnabled {
                user_id,
                enabled_at: at(8),
            }),
        ),
    ]
}

/// Every type of the family has a sample, its schema declares the record name the family
/// uses, and each sample survives Avro (validated against its schema) and the stored JSON.
pub(crate) fn check_family<F: EventFamily + PartialEq + std::fmt::Debug>(
    samples: Vec<(Envelope, F)>,
) {
    let covered: Vec<_> = samples.iter().map(|(_, e)| e.event_type().name).collect();
    for t in F::TYPES {
        assert!(covered.contains(&t.name), "no sample for {}", t.name);
        let Schema::Record(record) = Schema::parse_str(t.schema).expect("schema parses") else {
            panic!("{} is not a record", t.name)
        };
        assert_eq!(record.name.fullname(None), t.record);
    }
    for (envelope, event) in samples {
        let t = event.event_type();
        let schema = Schema::parse_str(t.schema).expect("schema parses");
        let value = event.to_avro(&envelope).expect("to avro");
        let writer = GenericDatumWriter::builder(&schema)
            .build()
            .expect("writer");
        let bytes = writer
            .write_value_to_vec(value)
            .expect("value matches its schema");
        let mut written = Vec::new();
        event
            .write_avro(&envelope, &writer, &mut written)
            .expect("wire record matches its schema");
        assert_eq!(written, bytes, "{}: straight from the wire record", t.name);
        let read = GenericDatumReader::builder(&schema)
            .build()
            .and_then(|r| r.read_value(&mut bytes.as_slice()))
            .expect("datum reads");
        let back = F::from_avro(t.record, read)
            .expect("decodes")
            .expect("record belongs to the family");
        assert_eq!(back.envelope, envelope, "{}", t.name);
        assert_eq!(back.event, event, "{}", t.name);

        let raw = RawEvent {
            envelope: envelope.clone(),
            event_type: t.name.to_owned(),
            payload: event.to_payload().expect("payload"),
        };
        assert_eq!(
            F::from_raw(&raw).expect("from raw").event,
            event,
            "{}",
            t.name
        );
    }
}

#[test]
fn session_events_round_trip_through_avro_and_stored_json() {
    check_family(samples());
}

#[test]
fn user_events_round_trip_through_avro_and_stored_json() {
    check_family(user_samples());
}

#[test]
fn every_event_type_is_in_the_catalog_once() {
    let names: Vec<&str> = events::all_event_types().map(|(_, t)| t.name).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(names.len(), unique.len());
    assert_eq!(
        names.len(),
        SessionEvent::TYPES.len()
            + UserEvent::TYPES.len()
            + RoleEvent::TYPES.len()
            + events::customers::CustomerEvent::TYPES.len()
    );
}

#[test]
fn an_unknown_reason_is_refused() {
    assert!("USER_LOGOUT".parse::<RevocationReason>().is_ok());
    assert!("BORED".parse::<RevocationReason>().is_err());
}

#[test]
fn an_unknown_event_type_is_refused() {
    let err = SessionEvent::from_payload("session.teleported.v1", &serde_json::json!({}));
    assert!(matches!(err, Err(events::EventError::UnknownType(_))));
}
