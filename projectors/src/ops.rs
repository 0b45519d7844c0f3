//! Operator commands: list parked streams and dead letters, redrive a parked stream from the
//! event store, rebuild the session cache blue-green.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use events::topics::Category;
use rdkafka::consumer::Consumer;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use runtime::kafka::KafkaArgs;
use serde::Serialize;
use sqlx::{Connection, PgPool};
use store::customer_directory::{self, CustomerDirectory};
use store::directory::{self, Directory};
use store::event_store::PgEventStore;
use store::generations;
use store::session_cache::SessionCache;
use tokio_util::sync::CancellationToken;

use crate::app::session_source;
use crate::cli::{DeadLetterArgs, RebuildArgs, RedriveArgs};
use crate::customers::{self, CustomerProjection};
use crate::directory::{DirectoryProjection, Side};
use crate::engine::parking::{self, ParkedStream};
use crate::projection::{Mode, Projection};
use crate::replay::{self, reader, watermarks};
use crate::session_cache::{NAME, SessionCacheProjection};

/// Every parked stream.
pub async fn parked(pool: &PgPool) -> anyhow::Result<Vec<ParkedStream>> {
    Ok(parking::list(pool).await?)
}

/// A record on a dead-letter topic, as operators see it (the payload's size, not its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub payload_bytes: usize,
    pub headers: BTreeMap<String, String>,
}

/// Every record on the dead-letter topics.
pub async fn dead_letters(args: DeadLetterArgs) -> anyhow::Result<Vec<DeadLetter>> {
    let topics = args.kafka.topics();
    let names: Vec<String> = Category::ALL
        .into_iter()
        .map(|c| topics.dead_letters(c))
        .collect();
    let kafka = args.kafka;
    tokio::task::spawn_blocking(move || {
        names
            .iter()
            .map(|topic| read_to_end(&kafka, topic))
            .collect::<anyhow::Result<Vec<_>>>()
            .map(|all| all.into_iter().flatten().collect())
    })
    .await?
}

fn read_to_end(kafka: &KafkaArgs, topic: &str) -> anyhow::Result<Vec<DeadLetter>> {
    let consumer = reader(kafka)?;
    let marks = watermarks(&consumer, topic)?;
    let mut remaining: HashMap<i32, i64> = marks
        .iter()
        .filter(|(_, (low, high))| high > low)
        .map(|(p, (_, high))| (*p, *high))
        .collect();
    if remaining.is_empty() {
        return Ok(Vec::new());
    }
    let mut assignment = TopicPartitionList::new();
    for p in remaining.keys() {
        assignment.add_partition_offset(topic, *p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut records = Vec::new();
    while !remaining.is_empty() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "timed out reading {topic}"
        );
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message?;
        if remaining
            .get(&message.partition())
            .is_some_and(|high| message.offset() + 1 >= *high)
        {
            remaining.remove(&message.partition());
        }
        let headers = runtime::kafka::header_map(&message);
        records.push(DeadLetter {
            topic: topic.to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            key: message
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned()),
            payload_bytes: message.payload().map_or(0, <[u8]>::len),
            headers,
        });
    }
    Ok(records)
}

/// What a redrive did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redriven {
    pub stream_id: String,
    pub from_version: i64,
    pub to_version: i64,
}

/// Re-applies a parked stream from the event store, from the version that was dead-lettered
/// on, then unparks it; the projectors apply its later events again. The stream's category
/// says which projection parked it.
pub async fn redrive(args: RedriveArgs) -> anyhow::Result<Redriven> {
    let pool = args.db.pool()?;
    let store = Arc::new(PgEventStore::new(pool.clone()));
    let projection: Box<dyn Projection> = match Category::of_stream(&args.stream)? {
        Category::Sessions => {
            let cache = SessionCache::new(args.redis.connect()?, args.redis.key_prefix.clone())
                .on_generation(generations::live(&pool, NAME).await?);
            Box::new(SessionCacheProjection::new(cache, store))
        }
        category @ (Category::Users | Category::Roles) => {
            let side = match category {
                Category::Users => Side::Users,
                _ => Side::Roles,
            };
            let generation = generations::live(&pool, directory::PROJECTION).await?;
            let rows = Directory::new(pool.clone(), generation);
            Box::new(DirectoryProjection::new(side, rows, store))
        }
        Category::Customers => {
            let generation = generations::live(&pool, customer_directory::PROJECTION).await?;
            let rows = CustomerDirectory::new(pool.clone(), generation);
            let keys = customers::subject_keys(&args.master, &pool)?;
            Box::new(CustomerProjection::new(rows, keys, store))
        }
    };
    let name = projection.name();
    let parked = parking::find(&pool, name, &args.stream)
        .await?
        .with_context(|| format!("{} is not parked", args.stream))?;
    let from_version = parked.parked_version.unwrap_or(1);
    let mut from = from_version;
    loop {
        let to_version = projection.redrive(&args.stream, from).await?;
        // An event held while this ran must be covered too: unpark only up to what was
        // applied, else go again from there.
        if parking::unpark(&pool, name, &args.stream, to_version).await? {
            return Ok(Redriven {
                stream_id: args.stream,
                from_version,
                to_version,
            });
        }
        from = to_version + 1;
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rebuilt {
    pub from_generation: u32,
    pub generation: u32,
    /// Records consumed per partition to catch up.
    pub partitions: BTreeMap<i32, i64>,
    /// Keys of the previous generation deleted after the switch.
    pub cleared_keys: usize,
}

/// Rebuilds the session cache from offset 0 of its topic into a new generation (new Redis
/// keys, new consumer group) beside the live one; once it has caught up with the topic as it
/// was when the rebuild started, commits, switches every process to it and deletes the old
/// generation's keys. Cancelling `shutdown` before the switch leaves the live one untouched.
pub async fn rebuild(args: RebuildArgs, shutdown: CancellationToken) -> anyhow::Result<Rebuilt> {
    let pool = args.db.pool()?;
    let guard = replay::lock_rebuild(&pool, NAME).await?;
    let live = generations::live(&pool, NAME).await?;
    let target = generations::allocate(&pool, NAME).await?;
    let base = SessionCache::new(args.redis.connect()?, args.redis.key_prefix.clone());
    // Readers trust the new generation in the Redis instance it was filled in, only.
    let instance = base.instance().await?;
    let fresh = base.on_generation(target);
    fresh.clear().await?;

    let source = session_source(&args.kafka, &args.session_cache, target, Mode::Replay);
    let projection =
        SessionCacheProjection::new(fresh.clone(), Arc::new(PgEventStore::new(pool.clone())));
    let partitions = replay::catch_up(
        &args.kafka,
        &pool,
        Arc::new(projection),
        source,
        &args.engine,
        &shutdown,
    )
    .await?;

    fresh.mark_filled().await?;
    anyhow::ensure!(
        fresh.instance().await? == instance,
        "Redis restarted during the rebuild; nothing switched"
    );
    generations::switch(&pool, NAME, target, Some(&instance)).await?;
    tracing::info!(generation = target, "switched to the rebuilt generation");
    // Every process follows within a poll; the old keys go once none writes them.
    tokio::time::sleep(generations::POLL * 2).await;
    let cleared_keys = base.on_generation(live).clear().await?;
    guard.close().await?;
    Ok(Rebuilt {
        from_generation: live,
        generation: target,
        partitions,
        cleared_keys,
    })
}
