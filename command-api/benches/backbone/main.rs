//! Backbone numbers on this machine, in one run, each beside the raw limit measured in the same
//! run: appends through the event store beside raw INSERT + commit at the same concurrency, the
//! relay beside raw librdkafka produce to the same broker, and commit → acknowledged and
//! commit → consumed latency. Everything runs against real Postgres and Apache Kafka (set
//! `TEST_KAFKA_BROKERS` to use a running broker, else the bench starts its own).
//!
//! Run: `./dev bench backbone` (or `./dev bench` for every benchmark). Prints Markdown: the
//! measurements, then the goals.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod latency;
mod raw;

use std::time::{Duration, Instant};

use command_api::relay::{Publisher, Relay, RelayArgs, RelayMetrics, StepOutcome};
use devtools::report::{Goal, Row, markdown};
use devtools::testing::{TestDatabase, TestRegistry, shared_broker, unique_suffix};
use events::sessions::{SessionEvent, SessionRefreshed, SessionStarted};
use events::topics::Category;
use events::{Actor, EventMetadata, PrincipalType};
use futures::future::join_all;
use runtime::kafka::KafkaArgs;
use store::event_store::{EventStore, PgEventStore};
use uuid::Uuid;

const WRITERS: usize = 8;
/// Enough for the relay's drain to take about sixty of its batches after the first, a couple of
/// seconds: a shorter drain is mostly noise on this machine.
const PER_WRITER: usize = 15_000;

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

    let insert = raw::insert_rate(&db).await?;
    let append = append_rate(&db).await?;
    let produce = raw::produce_rate(&kafka).await?;
    let (relayed, first_batch) = relay_throughput(&db, &kafka).await?;
    let ack = latency::commit_to_ack(&db, &kafka).await?;
    let consumed = latency::commit_to_consumer(&db, &kafka).await?;

    let batch = RelayArgs::default().batch_size;
    let rows = vec![
        Row::new(
            "raw INSERT + commit into an events-shaped table",
            per_second(insert),
            format!("{WRITERS} connections, one autocommit row each"),
        ),
        Row::new(
            "EventStore::append (one event per append)",
            per_second(append),
            format!("{WRITERS} concurrent writers; one statement: version check, insert, NOTIFY"),
        ),
        Row::new(
            "raw librdkafka produce",
            per_second(produce),
            "idempotent producer, acks=all, 400-byte records, all in flight, then all \
             acknowledged; the second of two passes (the first warms the broker)",
        ),
        Row::new(
            "relay throughput (backlog drain, steady state)",
            per_second(relayed.0),
            format!(
                "{} stored events after the first batch: read, Avro-encode, produce, await acks, \
                 checkpoint; batches of {batch} (the relay's default)",
                relayed.1
            ),
        ),
        Row::new(
            "relay's first batch",
            ms(first_batch.as_secs_f64()),
            format!(
                "{batch} events, including the idempotent producer's id and the schemas' \
                 registration"
            ),
        ),
        ack.row("commit → acknowledged by Kafka", "the relay's own histogram (`relay_commit_to_ack_seconds`, 25% buckets); relay woken by LISTEN/NOTIFY"),
        consumed.row("commit → consumed by a live consumer", "one consumer polling the topic meanwhile"),
    ];
    let goals = [
        Goal::share("append (command → committed)", append, insert, 0.5),
        Goal::share("relay", relayed.0, produce, 0.5),
        Goal::at_most("commit → acknowledged p99", ack.p99 * 1000.0, 50.0, "ms"),
        Goal::at_most(
            "commit → consumed by a live consumer p99",
            consumed.p99 * 1000.0,
            100.0,
            "ms",
        ),
    ];
    print!("{}", markdown(&rows, &goals));
    Ok(())
}

fn per_second(rate: f64) -> String {
    format!("{rate:.0}/s")
}

fn ms(seconds: f64) -> String {
    format!("{:.1} ms", seconds * 1000.0)
}

/// Events per second, `WRITERS` writers each appending one event at a time to its own stream.
async fn append_rate(db: &TestDatabase) -> anyhow::Result<f64> {
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
    Ok((WRITERS * PER_WRITER) as f64 / started.elapsed().as_secs_f64())
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

/// Drains what the appends stored: the steady rate (events/s, events) after the first batch,
/// and the first batch's time.
async fn relay_throughput(
    db: &TestDatabase,
    kafka: &KafkaArgs,
) -> anyhow::Result<((f64, usize), Duration)> {
    let relay = relay(db, kafka, RelayMetrics::default())?;
    let mut pipeline = relay.pipeline(relay.load_checkpoint().await?);
    let started = Instant::now();
    let StepOutcome::Published(_) = pipeline.step().await? else {
        anyhow::bail!("nothing to relay");
    };
    let first_batch = started.elapsed();
    let steady = Instant::now();
    let mut published = 0;
    while let StepOutcome::Published(n) = pipeline.step().await? {
        published += n;
    }
    let rate = published as f64 / steady.elapsed().as_secs_f64();
    Ok(((rate, published), first_batch))
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
