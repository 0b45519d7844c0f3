//! Backbone numbers on this machine, in one run: raw inserts into an events-shaped table, appends
//! through the event store, raw librdkafka produce, relay throughput, and commit → Kafka latency.
//! Everything runs against real Postgres and Apache Kafka (the broker `./dev up` runs; set
//! `TEST_KAFKA_BROKERS` to use a running one, else the bench starts its own).
//!
//! Run: `./dev test` once (it installs the stack), then `cargo bench -p command-api --bench backbone`.
//! Prints a Markdown table for docs/BENCHMARKS.md.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use command_api::relay::{Publisher, Relay, RelayArgs, RelayMetrics, StepOutcome};
use devtools::metrics::{buckets, quantile};
use devtools::testing::{TestDatabase, TestRegistry, shared_broker, unique_suffix};
use events::sessions::{SessionEvent, SessionRefreshed, SessionStarted};
use events::topics::Category;
use events::{Actor, EventMetadata, PrincipalType};
use futures::future::join_all;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use runtime::kafka::KafkaArgs;
use store::event_store::{EventStore, PgEventStore};
use uuid::Uuid;

const WRITERS: usize = 8;
const PER_WRITER: usize = 1_000;
const PRODUCE_RECORDS: usize = 20_000;
const LATENCY_EVENTS: usize = 2_000;

struct Row {
    what: &'static str,
    rate: String,
    notes: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db = TestDatabase::create().await;
    let registry = TestRegistry::start().await;
    let kafka = KafkaArgs {
        brokers: shared_broker().to_owned(),
        topic_prefix: format!("bench{}.", unique_suffix()),
        partitions: 3,
        replication_factor: 1,
        schema_registry_url: registry.url.clone(),
    };
    let mut topics = kafka.topics().all();
    topics.push(format!("{}raw", kafka.topic_prefix));
    runtime::kafka::ensure_topics(&kafka, &topics).await?;

    let mut rows = vec![raw_insert(&db).await?, store_append(&db).await?];
    rows.push(raw_produce(&kafka).await?);
    rows.extend(relay_throughput(&db, &kafka).await?);
    rows.extend(commit_to_ack_latency(&db, &kafka).await?);
    rows.extend(commit_to_consumer_latency(&db, &kafka).await?);

    println!("| measurement | result | notes |");
    println!("|---|---|---|");
    for row in rows {
        println!("| {} | {} | {} |", row.what, row.rate, row.notes);
    }
    Ok(())
}

fn per_second(count: usize, elapsed: Duration) -> String {
    format!("{:.0}/s", count as f64 / elapsed.as_secs_f64())
}

async fn raw_insert(db: &TestDatabase) -> anyhow::Result<Row> {
    sqlx::query("CREATE TABLE bench_raw_events (LIKE events INCLUDING ALL)")
        .execute(&db.pool)
        .await?;
    let started = Instant::now();
    let writers = (0..WRITERS).map(|w| {
        let pool = db.pool.clone();
        async move {
            let stream = format!("sessions-{}", Uuid::now_v7());
            for version in 1..=PER_WRITER as i64 {
                sqlx::query(
                    "INSERT INTO bench_raw_events \
                     (event_id, stream_id, version, event_type, payload, metadata) \
                     VALUES ($1, $2, $3, 'session.refreshed.v1', $4, $5)",
                )
                .bind(Uuid::now_v7())
                .bind(&stream)
                .bind(version)
                .bind(serde_json::json!({ "writer": w, "version": version }))
                .bind(serde_json::json!({ "correlation_id": Uuid::now_v7() }))
                .execute(&pool)
                .await?;
            }
            anyhow::Ok(())
        }
    });
    join_all(writers)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Row {
        what: "raw INSERT into an events-shaped table",
        rate: per_second(WRITERS * PER_WRITER, started.elapsed()),
        notes: format!("{WRITERS} connections, one autocommit row each"),
    })
}

async fn store_append(db: &TestDatabase) -> anyhow::Result<Row> {
    let store = PgEventStore::new(db.pool.clone());
    let started = Instant::now();
    let writers = (0..WRITERS).map(|_| {
        let store = store.clone();
        async move {
            let principal = Uuid::now_v7();
            let stream = Category::Sessions.stream_id(principal);
            for version in 1..=PER_WRITER as i64 {
                let event = session_event(principal, version)?;
                store.append(&stream, version - 1, vec![event]).await?;
            }
            anyhow::Ok(())
        }
    });
    join_all(writers)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Row {
        what: "EventStore::append (one event per append)",
        rate: per_second(WRITERS * PER_WRITER, started.elapsed()),
        notes: format!(
            "{WRITERS} concurrent writers; one statement: version check, insert, NOTIFY"
        ),
    })
}

async fn raw_produce(kafka: &KafkaArgs) -> anyhow::Result<Row> {
    let producer: FutureProducer = kafka
        .client_config()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "2")
        .create()?;
    let topic = format!("{}raw", kafka.topic_prefix);
    let payload = vec![7u8; 400];
    let started = Instant::now();
    let mut deliveries = Vec::with_capacity(PRODUCE_RECORDS);
    for i in 0..PRODUCE_RECORDS {
        let key = format!("sessions-{}", i % 64);
        let record = FutureRecord::to(&topic).key(&key).payload(&payload);
        deliveries.push(producer.send_result(record).map_err(|(e, _)| e)?);
    }
    for delivery in deliveries {
        delivery.await?.map_err(|(e, _)| e)?;
    }
    Ok(Row {
        what: "raw librdkafka produce",
        rate: per_second(PRODUCE_RECORDS, started.elapsed()),
        notes:
            "idempotent producer, acks=all, 400-byte records, all in flight, then all acknowledged"
                .into(),
    })
}

fn relay(db: &TestDatabase, kafka: &KafkaArgs, metrics: RelayMetrics) -> anyhow::Result<Relay> {
    let args = RelayArgs::default();
    Ok(Relay::new(
        db.pool.clone(),
        db.db_args().connect_options()?,
        Publisher::new(kafka, Duration::from_millis(args.message_timeout_ms))?,
        metrics,
        args,
    ))
}

async fn relay_throughput(db: &TestDatabase, kafka: &KafkaArgs) -> anyhow::Result<Vec<Row>> {
    let relay = relay(db, kafka, RelayMetrics::default())?;
    let mut checkpoint = relay.load_checkpoint().await?;
    let started = Instant::now();
    let StepOutcome::Published(first) = relay.step(&mut checkpoint).await? else {
        anyhow::bail!("nothing to relay");
    };
    let first_batch = started.elapsed();
    let steady = Instant::now();
    let mut published = 0;
    while let StepOutcome::Published(n) = relay.step(&mut checkpoint).await? {
        published += n;
    }
    Ok(vec![
        Row {
            what: "relay throughput (backlog drain, steady state)",
            rate: per_second(published, steady.elapsed()),
            notes: format!(
                "{published} stored events after the first batch: read, Avro-encode, produce, await acks, checkpoint; batches of 500"
            ),
        },
        Row {
            what: "relay's first batch",
            rate: format!("{:.0} ms", first_batch.as_secs_f64() * 1000.0),
            notes: format!(
                "{first} events, including the idempotent producer's id and the schemas' registration"
            ),
        },
    ])
}

/// Appends `LATENCY_EVENTS` from 4 paced writers; returns the ids and the offered rate.
async fn paced_appends(db: &TestDatabase) -> anyhow::Result<(Vec<(String, Instant)>, String)> {
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
    Ok((committed, per_second(LATENCY_EVENTS, started.elapsed())))
}

fn ms(seconds: f64) -> String {
    format!("{:.1} ms", seconds * 1000.0)
}

/// Commit → acknowledged by the broker, as the running relay measures it.
async fn commit_to_ack_latency(db: &TestDatabase, kafka: &KafkaArgs) -> anyhow::Result<Vec<Row>> {
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
    let baseline = buckets(&encode(&registry), "relay_commit_to_ack_seconds");
    let before = metrics.events_relayed();
    let (_, rate) = paced_appends(db).await?;
    devtools::testing::eventually(
        Duration::from_secs(60),
        "every event acknowledged",
        || async { (metrics.events_relayed() >= before + LATENCY_EVENTS as u64).then_some(()) },
    )
    .await;
    shutdown.cancel();
    relay.await?;
    let after = buckets(&encode(&registry), "relay_commit_to_ack_seconds");
    let measured: Vec<(f64, f64)> = after
        .iter()
        .zip(&baseline)
        .map(|((le, n), (_, n0))| (*le, n - n0))
        .collect();
    let quantile = |q| quantile(&measured, q);
    Ok(vec![
        Row {
            what: "commit → acknowledged by Kafka, p50",
            rate: ms(quantile(0.50)),
            notes: format!(
                "{LATENCY_EVENTS} events at ~{rate} from 4 writers; the relay's own histogram \
                 (`relay_commit_to_ack_seconds`, 25% buckets); relay woken by LISTEN/NOTIFY"
            ),
        },
        Row {
            what: "commit → acknowledged by Kafka, p99",
            rate: ms(quantile(0.99)),
            notes: "same run".into(),
        },
    ])
}

/// Commit → seen by a consumer reading the topic at the same time, on the same broker.
async fn commit_to_consumer_latency(
    db: &TestDatabase,
    kafka: &KafkaArgs,
) -> anyhow::Result<Vec<Row>> {
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
    let (committed, rate) = paced_appends(db).await?;
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

    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    Ok(vec![
        Row {
            what: "commit → consumed by a live consumer, p50",
            rate: ms(pct(0.50).as_secs_f64()),
            notes: format!(
                "{LATENCY_EVENTS} events at ~{rate}; one consumer polling the topic meanwhile"
            ),
        },
        Row {
            what: "commit → consumed by a live consumer, p99",
            rate: ms(pct(0.99).as_secs_f64()),
            notes: "same run".into(),
        },
    ])
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

fn session_event(principal_id: Uuid, version: i64) -> anyhow::Result<store::event_store::NewEvent> {
    let now = events::now();
    let event = if version == 1 {
        SessionEvent::Started(SessionStarted {
            session_id: principal_id,
            principal_id,
            principal_type: PrincipalType::Customer,
            refresh_token_hash: format!("{version:064x}"),
            user_agent: Some("bench".into()),
            ip: Some("127.0.0.1".into()),
            started_at: now,
            idle_timeout_secs: 1800,
            expires_at: now + chrono::Duration::hours(12),
        })
    } else {
        SessionEvent::Refreshed(SessionRefreshed {
            session_id: principal_id,
            refresh_token_hash: format!("{version:064x}"),
            refreshed_at: now,
        })
    };
    let metadata = EventMetadata::new(Some(Actor::Customer(principal_id)));
    Ok(store::event_store::NewEvent::new(&event, metadata)?)
}
