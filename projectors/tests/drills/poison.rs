//! A record nothing can decode, in the middle of a partition.

use devtools::metrics;
use devtools::testing::eventually;
use events::topics::Category;
use projectors::engine::dead_letter::headers;
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

use crate::support::{Drill, Running, TIMEOUT, metrics_page, operator};

/// Confluent wire format naming a schema id the registry never issued.
const POISON: &[u8] = &[0, 0, 0, 0x7f, 0x7f, 2, 4, 6, 8];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_record_is_dead_lettered_and_parks_only_its_stream_until_redriven() {
    let drill = Drill::start().await;
    let redis = drill.stack.redis.clone();
    let cache = drill.cache(&redis);
    let projectors = Running::start(drill.run_args(&redis)).await;

    let (poisoned, healthy, newcomer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let first = drill.start_session(poisoned).await;
    let other = drill.start_session(healthy).await;
    drill.wait_until_cache_matches(&cache).await;

    // The poison goes where the stream's records go: same key, so same partition.
    let stream = Category::Sessions.stream_id(poisoned);
    let producer: FutureProducer = drill
        .stack
        .kafka
        .client_config()
        .create()
        .expect("producer");
    producer
        .send(
            FutureRecord::to(&drill.sessions_topic())
                .key(stream.as_bytes())
                .payload(POISON),
            std::time::Duration::from_secs(10),
        )
        .await
        .expect("poison produced");
    drill.revoke(poisoned, first).await;
    drill.revoke(healthy, other).await;
    drill.start_session(newcomer).await;

    let dead = drill.dead_letters(|records| !records.is_empty()).await;
    // Delivery is at least once: a rebalance under load may dead-letter the poison twice.
    assert!(
        dead.iter().all(|r| r.payload.as_deref() == Some(POISON)),
        "only the poison is dead-lettered"
    );
    let record = &dead[0];
    assert_eq!(record.key.as_deref(), Some(stream.as_str()));
    assert_eq!(record.payload.as_deref(), Some(POISON), "bytes unchanged");
    assert_eq!(
        record.header(headers::ORIGIN_TOPIC),
        Some(drill.sessions_topic().as_str())
    );
    for name in [
        headers::ORIGIN_PARTITION,
        headers::ORIGIN_OFFSET,
        headers::ORIGIN_TIMESTAMP,
    ] {
        let value = record.header(name).unwrap_or_default();
        assert!(
            value.parse::<i64>().is_ok(),
            "{name} is a number: {value:?}"
        );
    }
    assert_eq!(
        record.header(headers::CONSUMER_GROUP),
        Some(format!("{}session-cache", drill.stack.kafka.topic_prefix).as_str())
    );
    assert_eq!(record.header(headers::PROJECTION), Some("session-cache"));
    assert_eq!(record.header(headers::STREAM_ID), Some(stream.as_str()));
    assert_eq!(
        record.header(headers::ATTEMPTS),
        Some("1"),
        "permanent: no retry"
    );
    assert_eq!(record.header(headers::ERROR_CLASS), Some("permanent"));
    assert!(
        record
            .header(headers::ERROR_MESSAGE)
            .is_some_and(|m| !m.is_empty())
    );
    for name in [headers::FIRST_FAILURE, headers::LAST_FAILURE] {
        let value = record.header(name).unwrap_or_default();
        assert!(
            chrono::DateTime::parse_from_rfc3339(value).is_ok(),
            "{name} is a time: {value:?}"
        );
    }

    // Other streams flow past it; the poisoned stream's later event is held back.
    eventually(TIMEOUT, "other streams to be applied", || async {
        (drill.cache_matches(&cache, healthy).await && drill.cache_matches(&cache, newcomer).await)
            .then_some(())
    })
    .await;
    // The revocation is version 2 of the stream (the poison carries no version).
    let parked = eventually(TIMEOUT, "the revocation to be held", || async {
        let parked = operator(&drill, &redis, &["parked"]).await;
        parked
            .iter()
            .any(|p| {
                p["stream_id"] == stream.as_str()
                    && p["last_held_version"] == 2
                    && p["held_events"].as_i64() >= Some(1)
            })
            .then_some(parked)
    })
    .await;
    assert_eq!(
        parked.len(),
        1,
        "only the poisoned stream is parked: {parked:?}"
    );
    assert_eq!(parked[0]["error_class"], "permanent");
    let cached = cache
        .get(poisoned, first)
        .await
        .expect("cache")
        .expect("cached");
    assert_eq!(cached.revoked, None, "the held revocation was not applied");

    let page = metrics_page(&projectors.base).await;
    let outcome = |o: &str| {
        metrics::sum(
            &page,
            "identity_projector_events_total",
            &[("projection", "session-cache"), ("outcome", o)],
        )
    };
    assert!(outcome("dead_lettered") >= 1.0);
    assert!(outcome("parked") >= 1.0);
    let listed = operator(&drill, &redis, &["dead-letters"]).await;
    assert!(!listed.is_empty());
    assert!(
        listed.iter().all(|r| r["key"] == stream.as_str()),
        "{listed:?}"
    );

    // Redrive re-reads the stream from the event store and applies it in order.
    let redriven = operator(&drill, &redis, &["redrive", "--stream", &stream]).await;
    assert_eq!(redriven[0]["to_version"], 2);
    assert!(
        drill.cache_matches(&cache, poisoned).await,
        "redrive applied the held revocation"
    );
    assert!(operator(&drill, &redis, &["parked"]).await.is_empty());

    // The stream is live again.
    let again = drill.start_session(poisoned).await;
    eventually(TIMEOUT, "the unparked stream's next event", || async {
        cache.get(poisoned, again).await.ok().flatten()
    })
    .await;
    assert!(drill.cache_matches(&cache, poisoned).await);

    projectors.stop().await;
}
