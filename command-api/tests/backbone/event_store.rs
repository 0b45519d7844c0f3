//! Guarantees 1 and 2: appends are atomic, and a race on one stream version is a conflict.

use std::time::Duration;

use devtools::testing::read_topic;
use futures::future::join_all;
use store::event_store::{EventStore, StoreError};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, append_events, relay_events, session_event, stream};

#[tokio::test]
async fn appends_racing_at_the_same_version_commit_exactly_once() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    append_events(&store, principal, 2).await;

    let racers = (0..10).map(|_| {
        let store = store.clone();
        async move {
            let event = session_event(principal, 3);
            let id = event.event_id;
            (id, store.append(&stream(principal), 2, vec![event]).await)
        }
    });
    let results = join_all(racers).await;

    let winners: Vec<Uuid> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one append wins: {results:?}");
    for (_, result) in results.iter().filter(|(_, r)| r.is_err()) {
        assert!(
            matches!(result, Err(StoreError::Conflict { expected: 2, .. })),
            "a lost race is a conflict, not {result:?}"
        );
    }
    let stored = store
        .read_stream(&stream(principal), 1)
        .await
        .expect("read");
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[2].envelope.event_id, winners[0]);
}

#[tokio::test]
async fn an_append_at_a_stale_or_future_version_is_a_conflict_and_writes_nothing() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    append_events(&store, principal, 2).await;

    for expected in [0, 1, 3, 7] {
        let result = store
            .append(
                &stream(principal),
                expected,
                vec![session_event(principal, expected + 1)],
            )
            .await;
        assert!(
            matches!(result, Err(StoreError::Conflict { .. })),
            "expected version {expected}: {result:?}"
        );
    }
    let stored = store
        .read_stream(&stream(principal), 1)
        .await
        .expect("read");
    assert_eq!(
        stored
            .iter()
            .map(|e| e.envelope.version)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[tokio::test]
async fn a_failed_append_leaves_no_event_and_nothing_reaches_kafka() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();

    // The third event reuses the first one's id: the insert fails after two rows were written.
    let first = session_event(principal, 1);
    let second = session_event(principal, 2);
    let mut third = session_event(principal, 3);
    third.event_id = first.event_id;
    let failed_ids = [first.event_id, second.event_id];
    let result = store
        .append(&stream(principal), 0, vec![first, second, third])
        .await;
    assert!(result.is_err(), "the append fails as a whole");
    assert!(
        store
            .read_stream(&stream(principal), 1)
            .await
            .expect("read")
            .is_empty(),
        "no event of a failed append is stored"
    );

    let good = append_events(&store, principal, 1).await;
    relay_events(&backbone.relay(), 1).await;
    let good_id = good[0].to_string();
    let records = read_topic(
        &backbone.kafka.brokers,
        &backbone.sessions_topic(),
        Duration::from_secs(20),
        move |records| {
            records
                .iter()
                .any(|r| r.header("event_id") == Some(good_id.as_str()))
        },
    )
    .await;
    for id in failed_ids {
        assert!(
            records
                .iter()
                .all(|r| r.header("event_id") != Some(id.to_string().as_str())),
            "event {id} of the failed append reached Kafka"
        );
    }
    assert_eq!(records.len(), 1);
}

#[tokio::test]
async fn read_stream_returns_the_events_from_a_version_in_order() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    let ids = append_events(&store, principal, 5).await;
    append_events(&store, Uuid::now_v7(), 3).await;

    let tail = store
        .read_stream(&stream(principal), 3)
        .await
        .expect("read");
    assert_eq!(
        tail.iter().map(|e| e.envelope.event_id).collect::<Vec<_>>(),
        ids[2..].to_vec()
    );
    assert_eq!(
        tail.iter().map(|e| e.envelope.version).collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
}

#[tokio::test]
async fn stored_events_cannot_be_updated_or_deleted() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    append_events(&store, Uuid::now_v7(), 1).await;

    for statement in [
        "UPDATE events SET event_type = 'tampered'",
        "DELETE FROM events",
    ] {
        let result = sqlx::query(statement).execute(&backbone.db.pool).await;
        assert!(result.is_err(), "{statement} must be refused");
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type <> 'tampered'")
            .fetch_one(&backbone.db.pool)
            .await
            .expect("count");
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_stream_is_read_from_its_snapshot_on() {
    use store::event_store::{PgSnapshots, Snapshots};
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let principal = Uuid::now_v7();
    let ids = append_events(&store, principal, 4).await;

    let (snapshot, events) = store
        .read_from_snapshot(&stream(principal), 1)
        .await
        .expect("read");
    assert!(snapshot.is_none());
    assert_eq!(events.len(), 4, "no snapshot: the whole stream");

    let snapshots = PgSnapshots::new(backbone.db.pool.clone());
    let state = serde_json::json!({ "at": 2 });
    snapshots
        .save(&stream(principal), 1, 2, state.clone())
        .await
        .expect("save");
    snapshots
        .save(&stream(principal), 1, 1, serde_json::json!({ "at": 1 }))
        .await
        .expect("an older snapshot is ignored, not an error");
    let (snapshot, events) = store
        .read_from_snapshot(&stream(principal), 1)
        .await
        .expect("read");
    let (version, json) = snapshot.expect("snapshot");
    assert_eq!(version, 2);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).expect("json"),
        state
    );
    assert_eq!(
        events
            .iter()
            .map(|e| e.envelope.event_id)
            .collect::<Vec<_>>(),
        ids[2..].to_vec()
    );

    let (other_format, events) = store
        .read_from_snapshot(&stream(principal), 2)
        .await
        .expect("read");
    assert!(
        other_format.is_none(),
        "a snapshot of another format is ignored"
    );
    assert_eq!(events.len(), 4);
}
