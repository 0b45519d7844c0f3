//! The platform's event codec (`events::codec::AvroCodec`) end to end against the dev registry:
//! every session event is registered under `<topic>-<record>` (TopicRecordNameStrategy),
//! carries the registry's schema id in the Confluent wire format, and decodes back unchanged,
//! whether it is the first of its type a codec encodes or a later one.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use devtools::registry::{self, Running};
use events::codec::{AnyEvent, AvroCodec};
use events::sessions::*;
use events::topics::Category;
use events::{Actor, Envelope, EventFamily, EventMetadata, PrincipalType, RawEvent, Recorded};
use schema_registry_converter::async_impl::schema_registry::{
    SrSettings, get_all_subjects, get_schema_by_subject_and_version,
};
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::Postgres;
use uuid::Uuid;

/// A registry on a new database of its own; its database URL, to drop at the end.
async fn fresh_registry() -> (Running, String) {
    let name = format!("registry_test_{}", Uuid::new_v4().simple());
    let database_url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let pool = registry::prepare(&database_url)
        .await
        .expect("registry database prepared (is Postgres running on 127.0.0.1:5432?)");
    let running = registry::start(pool).await.expect("registry started");
    (running, database_url)
}

async fn discard(running: Running, database_url: &str) {
    running.stop().await.expect("registry stopped");
    Postgres::force_drop_database(database_url)
        .await
        .expect("test database dropped");
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 123_456_000)
        .single()
        .expect("valid test timestamp")
}

fn envelope(principal: Uuid, version: i64, actor: Option<Actor>) -> Envelope {
    Envelope {
        event_id: Uuid::now_v7(),
        stream_id: Category::Sessions.stream_id(principal),
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

/// One event of every session event type, in stream order.
fn samples() -> Vec<Recorded<SessionEvent>> {
    let session_id = Uuid::now_v7();
    let principal = Uuid::now_v7();
    let events = [
        (
            Some(Actor::User(principal)),
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
            None,
            SessionEvent::Refreshed(SessionRefreshed {
                session_id,
                refresh_token_hash: "cd".repeat(32),
                refreshed_at: at(2),
            }),
        ),
        (
            Some(Actor::System("session-limit".into())),
            SessionEvent::Revoked(SessionRevoked {
                session_id,
                reason: RevocationReason::SessionLimitEviction,
                metadata: BTreeMap::from([("ip".into(), "10.0.0.1".into())]),
                revoked_by: Actor::System("session-limit".into()),
                revoked_at: at(3),
            }),
        ),
        (
            Some(Actor::Customer(principal)),
            SessionEvent::RefreshTokenReuseDetected(RefreshTokenReuseDetected {
                session_id,
                detected_at: at(4),
                user_agent: None,
                ip: Some("::1".into()),
            }),
        ),
        (
            None,
            SessionEvent::LoginLockedOut(LoginLockedOut {
                failed_attempts: 5,
                lockout_count: 1,
                locked_at: at(5),
                locked_until: at(65),
            }),
        ),
    ];
    events
        .into_iter()
        .zip(1..)
        .map(|((actor, event), version)| Recorded {
            envelope: envelope(principal, version, actor),
            event,
        })
        .collect()
}

#[test]
fn the_samples_cover_every_session_event_type() {
    let covered: Vec<_> = samples()
        .iter()
        .map(|r| r.event.event_type().name)
        .collect();
    for t in SessionEvent::TYPES {
        assert!(covered.contains(&t.name), "no sample for {}", t.name);
    }
}

#[tokio::test]
async fn every_session_event_round_trips_with_the_schema_id_the_registry_stored() {
    let (registry, database_url) = fresh_registry().await;
    let codec = AvroCodec::new(registry.url()).expect("codec");
    let settings = SrSettings::new(registry.url().to_owned());
    let topic = Category::Sessions.topic();
    for recorded in samples() {
        let event_type = recorded.event.event_type();
        let value = recorded.event.to_avro(&recorded.envelope).expect("to avro");
        let encoded = codec
            .encode(topic, event_type, value)
            .await
            .expect("encoded");

        let (magic, id) = encoded.bytes.split_at(1);
        let id: [u8; 4] = id
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .expect("id bytes");
        assert_eq!(magic, [0]);
        let subject = format!("{topic}-{}", event_type.record);
        let stored = get_schema_by_subject_and_version(&settings, &subject, None)
            .await
            .expect("the subject holds the schema");
        assert_eq!(u32::from_be_bytes(id), stored.id, "{subject}");
        assert_eq!(encoded.schema_id, stored.id, "{subject}");

        let decoded = codec.decode_event(&encoded.bytes).await.expect("decoded");
        assert_eq!(decoded, AnyEvent::Session(recorded), "{}", event_type.name);
    }
    discard(registry, &database_url).await;
}

/// The relay encodes stored events: the first of a type through the registry client, which
/// registers its schema; the later ones straight from the wire record under the id it returned.
#[tokio::test]
async fn a_stored_event_encodes_to_the_same_bytes_first_and_later() {
    let (registry, database_url) = fresh_registry().await;
    let codec = AvroCodec::new(registry.url()).expect("codec");
    let topic = Category::Sessions.topic();
    for recorded in samples() {
        let raw = RawEvent {
            envelope: recorded.envelope.clone(),
            event_type: recorded.event.event_type().name.to_owned(),
            payload: recorded.event.to_payload().expect("payload"),
        };
        let first = codec.encode_raw(topic, &raw).await.expect("first");
        let later = codec.encode_raw(topic, &raw).await.expect("later");
        assert_eq!(later, first, "{}", raw.event_type);
        let decoded = codec.decode_event(&later.bytes).await.expect("decoded");
        assert_eq!(decoded, AnyEvent::Session(recorded), "{}", raw.event_type);
    }
    discard(registry, &database_url).await;
}

#[tokio::test]
async fn event_types_sharing_a_topic_get_a_subject_each_and_keep_their_ids() {
    let (registry, database_url) = fresh_registry().await;
    let topic = Category::Sessions.topic();
    let mut ids = Vec::new();
    for recorded in samples() {
        // A fresh codec per event, so nothing comes from a client-side cache.
        let codec = AvroCodec::new(registry.url()).expect("codec");
        let event_type = recorded.event.event_type();
        let value = || recorded.event.to_avro(&recorded.envelope).expect("to avro");
        let first = codec
            .encode(topic, event_type, value())
            .await
            .expect("encoded");
        let again = AvroCodec::new(registry.url())
            .expect("codec")
            .encode(topic, event_type, value())
            .await
            .expect("encoded again");
        assert_eq!(again.schema_id, first.schema_id, "{}", event_type.name);
        ids.push(first.schema_id);
    }
    let settings = SrSettings::new(registry.url().to_owned());
    let mut subjects = get_all_subjects(&settings).await.expect("subjects");
    subjects.sort();
    let mut expected: Vec<String> = SessionEvent::TYPES
        .iter()
        .map(|t| format!("{topic}-{}", t.record))
        .collect();
    expected.sort();
    assert_eq!(subjects, expected);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        SessionEvent::TYPES.len(),
        "one schema id per event type"
    );
    discard(registry, &database_url).await;
}
