//! Relays as real processes: one leads, the other stands by and takes over when the leader is
//! killed mid-stream, and nothing is lost.

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use devtools::testing::assert_per_stream_order;
use devtools::testing::eventually;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, session_event, stream};
use store::event_store::EventStore;

struct RelayProcess {
    child: Child,
    metrics_url: String,
    http: reqwest::Client,
}

impl RelayProcess {
    async fn spawn(backbone: &Backbone) -> Self {
        let port = devtools::testing::free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_command-api"))
            .env_clear()
            .env("RUST_LOG", "warn")
            .arg("relay")
            .args(["--database-url", &backbone.db.url])
            .args(["--kafka-brokers", &backbone.kafka.brokers])
            .args(["--topic-prefix", &backbone.kafka.topic_prefix])
            .args(["--schema-registry-url", &backbone.kafka.schema_registry_url])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args([
                "--relay-poll-interval-ms",
                "50",
                "--relay-max-backoff-ms",
                "500",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("relay process starts");
        let process = Self {
            child,
            metrics_url: format!("http://127.0.0.1:{port}/metrics"),
            http: reqwest::Client::new(),
        };
        eventually(Duration::from_secs(20), "relay metrics endpoint", || {
            process.metric("identity_relay_leader")
        })
        .await;
        process
    }

    async fn metric(&self, name: &str) -> Option<f64> {
        let body = self
            .http
            .get(&self.metrics_url)
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        devtools::metrics::value(&body, name)
    }

    async fn is_leader(&self) -> Option<()> {
        (self.metric("identity_relay_leader").await? == 1.0).then_some(())
    }

    async fn published(&self) -> f64 {
        self.metric("identity_relay_events_total")
            .await
            .unwrap_or(0.0)
    }
}

#[tokio::test]
async fn only_the_lock_holder_publishes_and_a_standby_takes_over_when_it_dies() {
    let backbone = Backbone::start().await;
    let store = backbone.store();

    let mut leader = RelayProcess::spawn(&backbone).await;
    eventually(Duration::from_secs(20), "first relay leads", || {
        leader.is_leader()
    })
    .await;
    let standby = RelayProcess::spawn(&backbone).await;

    // A writer appends until told to stop, so events keep arriving across the leader's death.
    let stop = tokio_util::sync::CancellationToken::new();
    let writer = {
        let store = store.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let principals: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
            let mut ids = Vec::new();
            let mut version = 0;
            while !stop.is_cancelled() {
                version += 1;
                for p in &principals {
                    let event = session_event(*p, version);
                    ids.push(event.event_id);
                    store
                        .append(&stream(*p), version - 1, vec![event])
                        .await
                        .expect("append");
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            ids
        })
    };

    eventually(Duration::from_secs(30), "the leader to publish", || async {
        (leader.published().await >= 10.0).then_some(())
    })
    .await;
    assert_eq!(
        standby.published().await,
        0.0,
        "the standby publishes nothing"
    );
    assert_eq!(standby.metric("identity_relay_leader").await, Some(0.0));

    leader.child.kill().await.expect("SIGKILL the leader");
    eventually(Duration::from_secs(30), "the standby to take over", || {
        standby.is_leader()
    })
    .await;
    eventually(
        Duration::from_secs(30),
        "the new leader to publish",
        || async { (standby.published().await >= 10.0).then_some(()) },
    )
    .await;
    stop.cancel();

    let ids = writer.await.expect("writer");
    let records = backbone.read_until_all(&ids, Duration::from_secs(60)).await;
    let seen: HashSet<&str> = records
        .iter()
        .filter_map(|r| r.header("event_id"))
        .collect();
    assert_eq!(seen.len(), ids.len(), "every event published, none lost");
    assert_per_stream_order(&records);
}
