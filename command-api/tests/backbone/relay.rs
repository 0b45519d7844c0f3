//! Guarantee 3: the relay publishes every committed event, in per-stream order, and never skips
//! one, whatever the commit order, the broker or the relay itself does.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use command_api::relay::StepOutcome;
use devtools::testing::assert_per_stream_order;
use devtools::testing::eventually;
use events::EventFamily;
use events::codec::{AnyEvent, AvroCodec};
use events::sessions::SessionEvent;
use futures::future::join_all;
use store::event_store::EventStore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{
    Backbone, BackboneExt, TRACEPARENT, append_events, relay_events, session_event, stream,
};

const READ_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn relayed_records_carry_key_headers_and_the_event_in_avro() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    let ids = append_events(&store, principal, 3).await;

    let relay = backbone.relay();
    assert_eq!(relay_events(&relay, 3).await, 3);
    let records = backbone.read_until_all(&ids, READ_TIMEOUT).await;

    let stored = store
        .read_stream(&stream(principal), 1)
        .await
        .expect("read");
    let codec = AvroCodec::new(&backbone.registry.url).expect("codec");
    for (record, event) in records.iter().zip(&stored) {
        assert_eq!(record.key.as_deref(), Some(stream(principal).as_str()));
        let id = event.envelope.event_id.to_string();
        assert_eq!(record.header("event_id"), Some(id.as_str()));
        assert_eq!(record.header("event_type"), Some(event.event_type.as_str()));
        assert_eq!(record.header("traceparent"), Some(TRACEPARENT));
        let payload = record.payload.as_deref().expect("payload");
        let schema_id = events::codec::schema_id(payload).expect("wire format");
        assert_eq!(
            record.header("schema_id"),
            Some(schema_id.to_string().as_str())
        );
        let AnyEvent::Session(decoded) = codec.decode_event(payload).await.expect("decodes") else {
            panic!("a session event decodes as one");
        };
        assert_eq!(decoded.envelope, event.envelope);
        assert_eq!(
            decoded.event,
            SessionEvent::from_raw(event).expect("stored event").event
        );
    }
    let checkpoint = relay.load_checkpoint().await.expect("checkpoint");
    assert!(
        checkpoint.position > 0,
        "checkpoint advanced: {checkpoint:?}"
    );
}

#[tokio::test]
async fn late_commits_of_concurrent_writers_are_never_skipped() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let relay = backbone.relay();

    // Slow writers insert first (lower positions) and hold their transactions open.
    let mut slow = Vec::new();
    let mut slow_ids = Vec::new();
    for _ in 0..4 {
        let mut conn = backbone.db.detached().await;
        let principal = Uuid::now_v7();
        let event = session_event(principal, 1);
        slow_ids.push(event.event_id);
        sqlx::query("BEGIN")
            .execute(&mut conn)
            .await
            .expect("begin");
        sqlx::query(
            "INSERT INTO events (event_id, stream_id, version, event_type, payload, metadata) \
             VALUES ($1, $2, 1, $3, $4, $5)",
        )
        .bind(event.event_id)
        .bind(stream(principal))
        .bind(&event.event_type)
        .bind(&event.payload)
        .bind(serde_json::to_value(&event.metadata).expect("metadata"))
        .execute(&mut conn)
        .await
        .expect("slow insert");
        slow.push(conn);
    }

    // Many fast writers commit meanwhile; the relay drains everything it may publish.
    let writers = (0..8).map(|_| {
        let store = store.clone();
        async move {
            let mut ids = Vec::new();
            for _ in 0..4 {
                ids.extend(append_events(&store, Uuid::now_v7(), 5).await);
            }
            ids
        }
    });
    let fast_ids: Vec<Uuid> = join_all(writers).await.into_iter().flatten().collect();
    // Only what committed below the slow transactions can go out now; a relay reading
    // "position > last" would publish everything here and skip the slow ones later.
    let mut pipeline = relay.pipeline(relay.load_checkpoint().await.expect("checkpoint"));
    let mut published = 0;
    while let StepOutcome::Published(n) = pipeline.step().await.expect("relay step") {
        published += n;
    }

    // The slow transactions commit last, in reverse order.
    for mut conn in slow.into_iter().rev() {
        sqlx::query("COMMIT")
            .execute(&mut conn)
            .await
            .expect("slow commit");
    }
    let all: Vec<Uuid> = fast_ids.iter().chain(&slow_ids).copied().collect();
    relay_events(&relay, all.len() - published).await;

    let records = backbone.read_until_all(&all, READ_TIMEOUT).await;
    let seen: HashSet<String> = records
        .iter()
        .filter_map(|r| r.header("event_id").map(str::to_owned))
        .collect();
    assert_eq!(seen.len(), all.len(), "every event on Kafka, none extra");
    assert_per_stream_order(&records);
}

#[tokio::test]
async fn a_relay_stopped_between_publish_and_checkpoint_republishes_rather_than_loses() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let first = append_events(&store, Uuid::now_v7(), 4).await;

    let crashed = backbone.relay();
    let checkpoint = crashed.load_checkpoint().await.expect("checkpoint");
    let batch = eventually(
        READ_TIMEOUT,
        "the 4 events to be below the horizon",
        || async {
            let batch = crashed.fetch_batch(checkpoint).await.expect("fetch");
            (batch.len() == 4).then_some(batch)
        },
    )
    .await;
    crashed.publish(&batch).await.expect("publish");
    drop(crashed); // dies before save_checkpoint

    let second = append_events(&store, Uuid::now_v7(), 3).await;
    let restarted = backbone.relay();
    assert_eq!(
        restarted.load_checkpoint().await.expect("checkpoint"),
        checkpoint,
        "the checkpoint did not move without an acknowledged, saved batch"
    );
    assert_eq!(
        relay_events(&restarted, 7).await,
        7,
        "the unsaved batch is published again"
    );

    let records = devtools::testing::read_topic(
        &backbone.kafka.brokers,
        &backbone.sessions_topic(),
        READ_TIMEOUT,
        |r| r.len() >= 4 * 2 + 3,
    )
    .await;
    for id in &second {
        assert!(
            records
                .iter()
                .any(|r| r.header("event_id") == Some(id.to_string().as_str())),
            "event {id} published"
        );
    }
    for id in &first {
        let copies = records
            .iter()
            .filter(|r| r.header("event_id") == Some(id.to_string().as_str()))
            .count();
        assert_eq!(
            copies, 2,
            "event {id} published twice (at least once, never lost)"
        );
    }
    assert_per_stream_order(&records);
}

#[tokio::test]
async fn a_broker_outage_mid_stream_delays_events_but_loses_none() {
    let mut backbone = Backbone::start_with_own_broker().await;
    let store = backbone.store();
    let shutdown = CancellationToken::new();
    let relay = tokio::spawn(backbone.relay().run(shutdown.clone()));

    let principals: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    let mut ids = Vec::new();
    append_round(&store, &principals, &mut ids).await;
    backbone.read_until_all(&ids, READ_TIMEOUT).await;

    backbone.broker().kill().await;
    append_round(&store, &principals, &mut ids).await;
    backbone.broker().restart().await;
    append_round(&store, &principals, &mut ids).await;

    let records = backbone.read_until_all(&ids, READ_TIMEOUT).await;
    shutdown.cancel();
    relay.await.expect("relay stops on shutdown");

    let seen: HashSet<&str> = records
        .iter()
        .filter_map(|r| r.header("event_id"))
        .collect();
    assert_eq!(seen.len(), ids.len());
    assert_per_stream_order(&records);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_under_load_and_started_again_loses_nothing_and_keeps_order() {
    let mut backbone = Backbone::start_with_own_broker().await;
    let shutdown = CancellationToken::new();
    let relay = tokio::spawn(backbone.relay().run(shutdown.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (backbone.store(), stop.clone());
        tokio::spawn(async move {
            let principals: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
            let mut ids = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                append_round(&store, &principals, &mut ids).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            ids
        })
    };

    // SIGKILL while the relay is publishing what the writer appends.
    tokio::time::sleep(Duration::from_secs(1)).await;
    backbone.broker().kill().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    backbone.broker().restart().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let ids = writer.await.expect("writer");

    let records = backbone.read_until_all(&ids, READ_TIMEOUT).await;
    shutdown.cancel();
    relay.await.expect("relay stops on shutdown");
    let seen: HashSet<&str> = records
        .iter()
        .filter_map(|r| r.header("event_id"))
        .collect();
    assert_eq!(seen.len(), ids.len(), "every appended event was published");
    assert_per_stream_order(&records);
}

/// Appends five more events to each of `principals`' streams, in round-robin.
async fn append_round(store: &impl EventStore, principals: &[Uuid], ids: &mut Vec<Uuid>) {
    let version = (ids.len() / principals.len()) as i64;
    for v in version + 1..=version + 5 {
        for p in principals {
            let event = session_event(*p, v);
            ids.push(event.event_id);
            store
                .append(&stream(*p), v - 1, vec![event])
                .await
                .expect("appends work while the broker is down");
        }
    }
}
