//! The relay's pipeline: a batch's checkpoint is written while the next batch is in flight,
//! never before Kafka acknowledged it, and the owed one is written once nothing is left; a batch
//! read ahead that cannot be encoded is neither published nor skipped; events an older
//! transaction holds back go out once it ends, notified or not.

use std::time::Duration;

use command_api::relay::{RelayArgs, RelayError, RelayMetrics, StepOutcome};
use devtools::testing::{assert_per_stream_order, eventually};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, append_events, stream};

#[tokio::test]
async fn each_checkpoint_is_written_while_the_next_batch_is_in_flight_and_the_last_when_idle() {
    let backbone = Backbone::start().await;
    let ids = append_events(&backbone.store(), Uuid::now_v7(), 10).await;
    let relay = backbone.relay_with(RelayArgs {
        batch_size: 3,
        message_timeout_ms: 5_000,
        ..RelayArgs::default()
    });
    let mut pipeline = relay.pipeline(relay.load_checkpoint().await.expect("checkpoint"));
    let (mut published, mut steps) = (0, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while published < ids.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "relayed {published}"
        );
        let before = pipeline.acknowledged();
        let outcome = pipeline.step().await.expect("relay step");
        let written = relay.load_checkpoint().await.expect("checkpoint");
        match outcome {
            StepOutcome::Published(n) => {
                published += n;
                steps += 1;
                assert_eq!(
                    written, before,
                    "a step writes the previous batch's checkpoint, not its own"
                );
                assert!(pipeline.acknowledged() > written);
            }
            StepOutcome::Idle | StepOutcome::Held => {
                assert_eq!(written, pipeline.acknowledged(), "idle writes what it owes");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    assert!(
        steps >= 4,
        "10 events in batches of at most 3: {steps} steps"
    );
    assert_eq!(
        pipeline.step().await.expect("relay step"),
        StepOutcome::Idle
    );
    assert_eq!(
        relay.load_checkpoint().await.expect("checkpoint"),
        pipeline.acknowledged()
    );

    let records = backbone.read_until_all(&ids, Duration::from_secs(60)).await;
    assert_eq!(records.len(), ids.len(), "each event once");
    assert_per_stream_order(&records);
}

/// The batch after the one in flight is read and encoded meanwhile. An event in it that cannot
/// be encoded (a payload its type does not fit) fails the step that would publish it: the
/// batches before it are out, nothing from that batch on is, and the checkpoint stays before it.
#[tokio::test]
async fn a_batch_read_ahead_that_cannot_be_encoded_is_neither_published_nor_skipped() {
    let backbone = Backbone::start().await;
    let principal = Uuid::now_v7();
    let ids = append_events(&backbone.store(), principal, 3).await;
    sqlx::query(
        "INSERT INTO events (event_id, stream_id, version, event_type, payload, metadata) \
         SELECT $1, stream_id, 4, event_type, '{\"not\": \"a refresh\"}', metadata \
         FROM events WHERE stream_id = $2 AND version = 3",
    )
    .bind(Uuid::now_v7())
    .bind(stream(principal))
    .execute(&backbone.db.pool)
    .await
    .expect("an event its type does not fit");
    let relay = backbone.relay_with(RelayArgs {
        batch_size: 2,
        message_timeout_ms: 5_000,
        ..RelayArgs::default()
    });
    let mut pipeline = relay.pipeline(relay.load_checkpoint().await.expect("checkpoint"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    // Another test's open transaction may hold the events back for a while.
    let first = loop {
        assert!(tokio::time::Instant::now() < deadline, "nothing relayed");
        match pipeline.step().await.expect("the first batch encodes") {
            StepOutcome::Published(n) => break n,
            StepOutcome::Idle | StepOutcome::Held => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(first, 2, "versions 1 and 2");
    let acknowledged = pipeline.acknowledged();

    for _ in 0..2 {
        match pipeline.step().await {
            Err(RelayError::Publish(error)) => assert!(error.is_permanent(), "{error}"),
            other => panic!("a batch holding an unencodable event: {other:?}"),
        }
        assert_eq!(pipeline.acknowledged(), acknowledged, "nothing skipped");
    }
    pipeline.flush().await.expect("checkpoint written");
    assert_eq!(
        relay.load_checkpoint().await.expect("checkpoint"),
        acknowledged
    );
    let records = backbone
        .read_until_all(&ids[..2], Duration::from_secs(60))
        .await;
    let versions: Vec<&str> = records
        .iter()
        .filter_map(|r| r.header("stream_version"))
        .collect();
    assert_eq!(versions, ["1", "2"], "version 3 shares the failing batch");
}

/// The relay reads only below the oldest running transaction (`batch.sql`). A transaction
/// that is no append ends without a notification, so the relay must look again by itself:
/// here its poll interval is ten minutes, longer than the test may take.
#[tokio::test]
async fn an_event_held_back_by_a_transaction_that_ends_silently_goes_out_soon_after() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let mut registry = prometheus_client::registry::Registry::default();
    let relay = backbone.relay_measured(
        RelayArgs {
            message_timeout_ms: 5_000,
            poll_interval_ms: 600_000,
            ..RelayArgs::default()
        },
        RelayMetrics::register(&mut registry),
    );
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(relay.run(shutdown.clone()));
    // Once its first event is out, the relay leads and listens for appends.
    let first = append_events(&store, Uuid::now_v7(), 1).await;
    backbone
        .read_until_all(&first, Duration::from_secs(60))
        .await;

    let mut holder = backbone.db.detached().await;
    sqlx::query("BEGIN")
        .execute(&mut holder)
        .await
        .expect("begin");
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut holder)
        .await
        .expect("a transaction id, older than the append's");
    let held = append_events(&store, Uuid::now_v7(), 1).await;
    // The relay, woken by the append, found the event and could not publish it yet.
    eventually(
        Duration::from_secs(30),
        "the relay to see the lag",
        || async {
            let mut text = String::new();
            prometheus_client::encoding::text::encode(&mut text, &registry).expect("encode");
            devtools::metrics::value(&text, "relay_lag_seconds")
                .filter(|lag| *lag > 0.0)
                .map(drop)
        },
    )
    .await;
    sqlx::query("COMMIT")
        .execute(&mut holder)
        .await
        .expect("commit");

    // Fails unless the event is on the topic within a minute.
    backbone
        .read_until_all(&held, Duration::from_secs(60))
        .await;
    shutdown.cancel();
    running.await.expect("relay stopped");
}
