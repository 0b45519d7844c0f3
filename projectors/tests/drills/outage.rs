//! Redis goes away while events keep coming, for longer than the retry budget, then comes
//! back: nothing is dead-lettered, since nothing was at fault but Redis. `DRILL_OUTAGE_SECS`
//! (5 in the suite) sets how long; events flow at about 5 a second meanwhile, so a long outage
//! fills the projector's buffer (docs/SECURITY.md has the 10-minute run).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use devtools::metrics;
use devtools::testing::{TestRedis, eventually};
use events::topics::Category;
use runtime::redis::RedisArgs;
use store::event_store::EventStore;
use uuid::Uuid;

use crate::support::{Drill, Running, TIMEOUT, metrics_page, operator, write_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_past_the_retry_budget_is_waited_for_and_loses_nothing() {
    let drill = Arc::new(Drill::start().await);
    let mut server = TestRedis::start().await;
    let redis = RedisArgs {
        url: server.url(),
        key_prefix: "drill:".into(),
    };
    let cache = drill.cache(&redis);
    let mut args = drill.run_args(&redis);
    args.engine.retry_budget_secs = 1;
    let projectors = Running::start(args).await;

    let principals: Vec<Uuid> = (0..8).map(|_| Uuid::now_v7()).collect();
    let mut first = Vec::new();
    for p in &principals {
        first.push(drill.start_session(*p).await);
    }
    drill.wait_until_cache_matches(&cache).await;

    server.stop().await;
    for (p, session) in principals.iter().zip(&first) {
        drill.refresh(*p, *session).await;
        drill.start_session(*p).await;
        drill.revoke(*p, *session).await;
    }
    let stop_writing = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_until(
        drill.clone(),
        principals.clone(),
        stop_writing.clone(),
        Duration::from_millis(400),
    ));
    let retries = || async {
        let page = metrics_page(&projectors.base).await;
        metrics::sum(
            &page,
            "identity_projector_retries_total",
            &[("projection", "session-cache")],
        )
    };
    eventually(TIMEOUT, "the projector to retry", || async {
        (retries().await >= 3.0).then_some(())
    })
    .await;
    let ready = || async {
        reqwest::get(format!("{}/readyz", projectors.base))
            .await
            .map(|r| r.status().as_u16())
            .ok()
    };
    eventually(TIMEOUT, "readiness to fail while Redis is down", || async {
        (ready().await == Some(503)).then_some(())
    })
    .await;
    // Several budgets long: a record failing this long on a Redis that answered would be
    // dead-lettered.
    tokio::time::sleep(outage()).await;
    stop_writing.store(true, Ordering::Relaxed);
    writer.await.expect("writer");
    server.restart().await;
    eventually(TIMEOUT, "readiness to come back with Redis", || async {
        (ready().await == Some(200)).then_some(())
    })
    .await;

    drill.wait_until_cache_matches(&cache).await;
    for p in &principals {
        let stream_version = drill
            .store
            .read_stream(&Category::Sessions.stream_id(*p), 1)
            .await
            .expect("stream")
            .len();
        assert_eq!(
            cache.applied_version(*p).await.expect("cache"),
            Some(i64::try_from(stream_version).expect("version")),
            "the cache reflects every event of {p} once"
        );
    }
    let page = metrics_page(&projectors.base).await;
    assert_eq!(
        metrics::sum(
            &page,
            "identity_projector_events_total",
            &[("outcome", "dead_lettered")]
        ),
        0.0,
        "an outage dead-letters nothing, however long"
    );
    assert!(operator(&drill, &redis, &["parked"]).await.is_empty());

    projectors.stop().await;
}

fn outage() -> Duration {
    let secs = std::env::var("DRILL_OUTAGE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

/// With Redis down, a full buffer pauses the partitions and keeps polling: the member stays in
/// the group past `max.poll.interval.ms` (before, it stopped polling, was taken for stuck and
/// its partitions were revoked), and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buffer_waiting_on_redis_keeps_its_partitions() {
    let drill = Drill::start().await;
    let mut server = TestRedis::start().await;
    let redis = RedisArgs {
        url: server.url(),
        key_prefix: "drill:".into(),
    };
    let cache = drill.cache(&redis);
    let mut args = drill.run_args(&redis);
    args.engine.retry_budget_secs = 1;
    // A buffer of 16 records, and a poll interval the outage outlasts twice.
    args.engine.concurrency = 1;
    args.engine.session_timeout_ms = 6_000;
    args.engine.max_poll_interval_ms = 7_000;
    let projectors = Running::start(args).await;
    let principals: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
    for p in &principals {
        drill.start_session(*p).await;
    }
    drill.wait_until_cache_matches(&cache).await;

    server.stop().await;
    for _ in 0..10 {
        for p in &principals {
            drill.start_session(*p).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(20)).await;
    server.restart().await;
    drill.wait_until_cache_matches(&cache).await;
    // A member that left the group hears of it at its next polls: let a few happen.
    drill.start_session(principals[0]).await;
    drill.wait_until_cache_matches(&cache).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let page = metrics_page(&projectors.base).await;
    let rebalanced = |change| {
        metrics::sum(
            &page,
            "identity_projector_rebalanced_partitions_total",
            &[("change", change), ("projection", "session-cache")],
        )
    };
    assert_eq!(rebalanced("revoked"), 0.0, "the member kept its partitions");
    assert_eq!(
        rebalanced("assigned"),
        3.0,
        "the topic's three partitions, assigned once"
    );
    assert_eq!(
        metrics::sum(
            &page,
            "identity_projector_events_total",
            &[("outcome", "dead_lettered")]
        ),
        0.0
    );
    projectors.stop().await;
}
