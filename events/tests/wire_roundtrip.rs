//! Every session event survives domain → Avro datum (validated against its `.avsc`) → domain,
//! and the stored JSON payload form. Pure: the registry round trip is tested in `devtools`.

use std::collections::BTreeMap;

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::writer::datum::GenericDatumWriter;
use chrono::{DateTime, TimeZone, Utc};
use events::sessions::*;
use events::{Actor, Envelope, EventFamily, EventMetadata, PrincipalType, RawEvent};
use uuid::Uuid;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 123_456_000)
        .single()
        .expect("valid test timestamp")
}

fn envelope(version: i64, actor: Option<Actor>) -> Envelope {
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
    ]
}

#[test]
fn every_session_event_type_has_a_sample() {
    let covered: Vec<_> = samples().iter().map(|(_, e)| e.event_type().name).collect();
    for t in SessionEvent::TYPES {
        assert!(covered.contains(&t.name), "no sample for {}", t.name);
    }
}

#[test]
fn schemas_declare_the_record_names_the_family_uses() {
    for t in SessionEvent::TYPES {
        let schema = Schema::parse_str(t.schema).expect("schema parses");
        let Schema::Record(record) = schema else {
            panic!("{} is not a record", t.name)
        };
        assert_eq!(record.name.fullname(None), t.record);
    }
}

#[test]
fn session_events_round_trip_through_avro_datums() {
    for (envelope, event) in samples() {
        let t = event.event_type();
        let schema = Schema::parse_str(t.schema).expect("schema parses");
        let value = event.to_avro(&envelope).expect("to avro");
        let bytes = GenericDatumWriter::builder(&schema)
            .build()
            .and_then(|w| w.write_value_to_vec(value))
            .expect("value matches its schema");
        let read = GenericDatumReader::builder(&schema)
            .build()
            .and_then(|r| r.read_value(&mut bytes.as_slice()))
            .expect("datum reads");
        let back = SessionEvent::from_avro(t.record, read)
            .expect("decodes")
            .expect("record belongs to the session family");
        assert_eq!(back.envelope, envelope, "{}", t.name);
        assert_eq!(back.event, event, "{}", t.name);
    }
}

#[test]
fn session_events_round_trip_through_stored_json() {
    for (envelope, event) in samples() {
        let raw = RawEvent {
            envelope: envelope.clone(),
            event_type: event.event_type().name.to_owned(),
            payload: event.to_payload().expect("payload"),
        };
        let back = SessionEvent::from_raw(&raw).expect("from raw");
        assert_eq!(back.event, event);
    }
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
