//! The engine's drills on the customer directory, the projection that opens sealed events:
//! customers sign up (their data key stored with the event, as the command side does) and
//! change their consents while the projector process is stopped mid-stream by SIGTERM or
//! SIGKILL and started again; afterwards every customer's row is at its stream's version with
//! its last consent, nothing was dead-lettered, and the metrics count the customer directory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use devtools::metrics;
use devtools::testing::eventually;
use events::EventMetadata;

use crate::process::{Stop, busy_then_restarted};
use crate::shop::Shop;
use crate::support::{Drill, TIMEOUT, metrics_page};

/// Signs customers up and turns their consents over until `done`.
async fn write_until(shop: Arc<Shop>, done: Arc<AtomicBool>) {
    let mut ids = Vec::new();
    let mut round = 0usize;
    while !done.load(Ordering::Acquire) {
        match ids.len() < 12 {
            true => ids.push(shop.sign_up(EventMetadata::new(None)).await),
            false => shop.toggle(ids[round % ids.len()]).await,
        }
        round += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn interrupted_and_restarted(how: Stop) {
    let drill = Arc::new(Drill::start().await);
    let shop = Arc::new(Shop::new(drill.clone()));
    let stop_writing = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_until(shop.clone(), stop_writing.clone()));

    let (port, _second) = busy_then_restarted(&drill, how).await;
    stop_writing.store(true, Ordering::Release);
    writer.await.expect("writer");
    eventually(
        TIMEOUT,
        "the directory to match the event store",
        || async { shop.directory_matches().await.then_some(()) },
    )
    .await;

    let page = metrics_page(&format!("http://127.0.0.1:{port}")).await;
    let count = |outcome: &str| {
        metrics::sum(
            &page,
            "identity_projector_events_total",
            &[("projection", "customer-directory"), ("outcome", outcome)],
        )
    };
    assert!(
        count("applied") > 0.0,
        "the customer directory's events are counted"
    );
    assert_eq!(count("dead_lettered"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_stream_leaves_the_customer_directory_complete_after_a_restart() {
    interrupted_and_restarted(Stop::Term).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_leaves_the_customer_directory_complete_after_a_restart() {
    interrupted_and_restarted(Stop::Kill).await;
}
