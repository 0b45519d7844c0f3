//! Commit → acknowledged by the broker (the relay's histogram) and commit → consumed by a live
//! consumer, under appends paced by 4 writers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use command_api::relay::RelayMetrics;
use devtools::metrics::{buckets, quantile};
use devtools::report::Row;
use devtools::testing::{TestDatabase, unique_suffix};
use events::topics::Category;
use futures::future::join_all;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use runtime::kafka::KafkaArgs;
use store::event_store::{EventStore, PgEventStore};
use uuid::Uuid;

use crate::{ms, relay, session_event};

const LATENCY_EVENTS: usize = 2_000;

/// Percentiles of a latency, in seconds, and the rate the events were offered at.
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    offered: f64,
}

impl Latency {
    pub fn row(&self, what: &str, how: &str) -> Row {
        Row::new(
            format!("{what}, p50 / p99"),
            format!("{} / {}", ms(self.p50), ms(self.p99)),
            format!(
                "{LATENCY_EVENTS} events at ~{:.0}/s from 4 writers; {how}",
                self.offered
            ),
        )
    }
}

/// Appends `LATENCY_EVENTS` from 4 paced writers; returns the ids and the offered rate.
async fn paced_appends(db: &TestDatabase) -> anyhow::Result<(Vec<(String, Instant)>, f64)> {
    let store = PgEventStore::new(db.pool.clone());
    let writers = (0..4).map(|_| {
        let store = store.clone();
        async move {
            let principal = Uuid::now_v7();
            let stream = Category::Sessions.stream_id(principal);
            let mut committed = Vec::new();
            for version in 1..=(LATENCY_EVENTS / 4) as i64 {
                let event = session_event(principal, version)?;
                let id = event.event_id.to_string();
                store.append(&stream, version - 1, vec![event]).await?;
                committed.push((id, Instant::now()));
                tokio::time::sleep(Duration::from_millis(4)).await;
            }
            anyhow::Ok(committed)
        }
    });
    let started = Instant::now();
    let committed: Vec<_> = join_all(writers)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok((
        committed,
        LATENCY_EVENTS as f64 / started.elapsed().as_secs_f64(),
    ))
}

/// Commit → acknowledged by the broker, as the running relay measures it.
pub async fn commit_to_ack(db: &TestDatabase, kafka: &KafkaArgs) -> anyhow::Result<Latency> {
    let mut registry = prometheus_client::registry::Registry::default();
    let metrics = RelayMetrics::register(&mut registry);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let relay = tokio::spawn(relay(db, kafka, metrics.clone())?.run(shutdown.clone()));
    // The producer's first record waits for its idempotent producer id: warm up, then measure
    // only what comes after.
    let store = PgEventStore::new(db.pool.clone());
    let warm_up = Uuid::now_v7();
    store
        .append(
            &Category::Sessions.stream_id(warm_up),
            0,
            vec![session_event(warm_up, 1)?],
        )
        .await?;
    devtools::testing::eventually(Duration::from_secs(30), "the warm-up event", || async {
        (metrics.events_relayed() > 0).then_some(())
    })
    .await;
    let baseline = buckets(&encode(&registry), "relay_commit_to_ack_seconds", &[]);
    let before = metrics.events_relayed();
    let (_, offered) = paced_appends(db).await?;
    devtools::testing::eventually(
        Duration::from_secs(60),
        "every event acknowledged",
        || async { (metrics.events_relayed() >= before + LATENCY_EVENTS as u64).then_some(()) },
    )
    .await;
    shutdown.cancel();
    relay.await?;
    let after = buckets(&encode(&registry), "relay_commit_to_ack_seconds", &[]);
    let measured: Vec<(f64, f64)> = after
        .iter()
        .zip(&baseline)
        .map(|((le, n), (_, n0))| (*le, n - n0))
        .collect();
    Ok(Latency {
        p50: quantile(&measured, 0.50),
        p99: quantile(&measured, 0.99),
        offered,
    })
}

/// Commit → seen by a consumer reading the topic at the same time, on the same broker.
pub async fn commit_to_consumer(db: &TestDatabase, kafka: &KafkaArgs) -> anyhow::Result<Latency> {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let relay = tokio::spawn(relay(db, kafka, RelayMetrics::default())?.run(shutdown.clone()));
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let reader = {
        let arrivals = arrivals.clone();
        let bootstrap = kafka.brokers.clone();
        let topic = kafka.topics().events(Category::Sessions);
        let stop = shutdown.clone();
        tokio::task::spawn_blocking(move || read_arrivals(&bootstrap, &topic, &arrivals, &stop))
    };
    // The relay's first batch waits for its producer id and the schemas' registration (its
    // own row), and the consumer for its first fetch: warm both up, then measure.
    let store = PgEventStore::new(db.pool.clone());
    let warm_up = Uuid::now_v7();
    let event = session_event(warm_up, 1)?;
    let warm_up_id = event.event_id.to_string();
    store
        .append(&Category::Sessions.stream_id(warm_up), 0, vec![event])
        .await?;
    devtools::testing::eventually(Duration::from_secs(30), "the warm-up event", || async {
        arrivals
            .lock()
            .unwrap()
            .contains_key(&warm_up_id)
            .then_some(())
    })
    .await;
    let (committed, offered) = paced_appends(db).await?;
    let mut latencies =
        devtools::testing::eventually(Duration::from_secs(120), "every event consumed", || async {
            let arrivals = arrivals.lock().unwrap();
            committed
                .iter()
                .map(|(id, at)| Some(arrivals.get(id)?.saturating_duration_since(*at)))
                .collect::<Option<Vec<Duration>>>()
        })
        .await;
    shutdown.cancel();
    relay.await?;
    reader.await??;

    let mut pct = |p: f64| {
        devtools::report::nearest_rank(&mut latencies, p)
            .unwrap_or_default()
            .as_secs_f64()
    };
    Ok(Latency {
        p50: pct(0.50),
        p99: pct(0.99),
        offered,
    })
}

fn encode(registry: &prometheus_client::registry::Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text
}

fn read_arrivals(
    bootstrap: &str,
    topic: &str,
    arrivals: &Mutex<HashMap<String, Instant>>,
    stop: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("bench-{}", unique_suffix()))
        .set("enable.auto.commit", "false")
        // As docs/KAFKA.md has consumers set it (the projectors do).
        .set("fetch.min.bytes", "1")
        .set("fetch.wait.max.ms", "100")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let mut assignment = TopicPartitionList::new();
    for p in metadata.topics().iter().flat_map(|t| t.partitions()) {
        let (_, high) = consumer.fetch_watermarks(topic, p.id(), Duration::from_secs(10))?;
        assignment.add_partition_offset(topic, p.id(), Offset::Offset(high))?;
    }
    consumer.assign(&assignment)?;
    while !stop.is_cancelled() {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(20)) {
            let id = message.headers().and_then(|h| {
                h.iter()
                    .find(|h| h.key == "event_id")
                    .and_then(|h| h.value)
                    .map(|v| String::from_utf8_lossy(v).into_owned())
            });
            if let Some(id) = id {
                arrivals
                    .lock()
                    .unwrap()
                    .entry(id)
                    .or_insert_with(Instant::now);
            }
        }
    }
    Ok(())
}
