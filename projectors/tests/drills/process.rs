//! The projector process dies mid-stream (SIGTERM, then SIGKILL) and starts again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use devtools::metrics;
use devtools::testing::{eventually, free_port};
use tokio::process::Child;
use uuid::Uuid;

use crate::support::{Drill, TIMEOUT, metrics_page, projectors_command, write_until};

/// How a drill stops the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Term,
    Kill,
}

/// The projectors binary running on `port` with four lanes.
pub fn spawn(drill: &Drill, port: u16) -> Child {
    projectors_command(drill, &drill.stack.redis)
        .arg("run")
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("PROJECTOR_CONCURRENCY", "4")
        .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("projectors starts")
}

/// Events handled so far by the process listening on `port`.
pub async fn handled(port: u16) -> Option<f64> {
    let page = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    Some(metrics::sum(&page, "identity_projector_events_total", &[]))
}

/// Stops the process `how`; panics unless SIGTERM ends it cleanly within 30 s.
pub async fn stop(mut process: Child, how: Stop) {
    match how {
        Stop::Term => {
            let pid = process.id().expect("running").to_string();
            let status = tokio::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .await
                .expect("kill runs");
            assert!(status.success());
        }
        Stop::Kill => process.start_kill().expect("SIGKILL sent"),
    }
    let status = tokio::time::timeout(Duration::from_secs(30), process.wait())
        .await
        .expect("the projector exits")
        .expect("exit status");
    match how {
        Stop::Term => assert!(status.success(), "SIGTERM is a clean exit: {status:?}"),
        Stop::Kill => assert!(!status.success()),
    }
}

/// A projectors process that, once it has handled 100 events, is stopped `how`, and a second
/// one started after it, handling events: the second one's port and process.
pub async fn busy_then_restarted(drill: &Drill, how: Stop) -> (u16, Child) {
    let port = free_port();
    let first = spawn(drill, port);
    eventually(TIMEOUT, "the projector to be busy", || async {
        handled(port).await.filter(|n| *n >= 100.0)
    })
    .await;
    stop(first, how).await;

    let port = free_port();
    let second = spawn(drill, port);
    eventually(
        TIMEOUT,
        "the restarted projector to handle events",
        || async { handled(port).await.filter(|n| *n > 0.0) },
    )
    .await;
    (port, second)
}

/// Appends session events while the process is stopped `how` and started again.
async fn interrupted_and_restarted(how: Stop) {
    let drill = Arc::new(Drill::start().await);
    let cache = drill.cache(&drill.stack.redis);
    let principals: Vec<Uuid> = (0..12).map(|_| Uuid::now_v7()).collect();
    let stop_writing = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_until(
        drill.clone(),
        principals.clone(),
        stop_writing.clone(),
        Duration::from_millis(2),
    ));

    let (port, _second) = busy_then_restarted(&drill, how).await;
    stop_writing.store(true, Ordering::Release);
    writer.await.expect("writer");
    drill.wait_until_cache_matches(&cache).await;

    let page = metrics_page(&format!("http://127.0.0.1:{port}")).await;
    assert_eq!(
        metrics::sum(
            &page,
            "identity_projector_events_total",
            &[("outcome", "dead_lettered")]
        ),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_stream_then_restart_ends_in_the_same_state() {
    interrupted_and_restarted(Stop::Term).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_then_restart_ends_in_the_same_state() {
    interrupted_and_restarted(Stop::Kill).await;
}
