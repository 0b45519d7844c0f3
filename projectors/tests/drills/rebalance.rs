//! Two projectors share the consumer group; one leaves mid-stream and the other takes over its
//! partitions.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use devtools::metrics;
use devtools::testing::eventually;
use uuid::Uuid;

use crate::support::{Drill, Running, TIMEOUT, metrics_page};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_one_of_two_projectors_leaves_the_other_takes_over_and_nothing_is_lost() {
    let drill = Arc::new(Drill::start().await);
    let redis = drill.stack.redis.clone();
    let cache = drill.cache(&redis);
    let first = Running::start(drill.run_args(&redis)).await;
    let second = Running::start(drill.run_args(&redis)).await;

    let principals: Vec<Uuid> = (0..9).map(|_| Uuid::now_v7()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (drill, principals, stop) = (drill.clone(), principals.clone(), stop.clone());
        tokio::spawn(async move {
            let mut round = 0usize;
            while !stop.load(Ordering::Acquire) {
                let p = principals[round % principals.len()];
                let session = drill.start_session(p).await;
                drill.refresh(p, session).await;
                round += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let handled = |base: String| async move {
        metrics::sum(
            &metrics_page(&base).await,
            "identity_projector_events_total",
            &[],
        )
    };
    // Both hold partitions and apply events before one of them goes.
    eventually(TIMEOUT, "both projectors to apply events", || async {
        (handled(first.base.clone()).await > 0.0 && handled(second.base.clone()).await > 0.0)
            .then_some(())
    })
    .await;
    first.stop().await;
    let before = handled(second.base.clone()).await;
    eventually(TIMEOUT, "the remaining projector to go on", || async {
        (handled(second.base.clone()).await > before + 20.0).then_some(())
    })
    .await;
    stop.store(true, Ordering::Release);
    writer.await.expect("writer");
    drill.wait_until_cache_matches(&cache).await;
    second.stop().await;
}
