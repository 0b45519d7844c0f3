//! What every blue-green rebuild shares: one rebuild of a projection at a time, and feeding
//! a fresh copy from offset 0 of its topic until it holds what the topic held when it began.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rdkafka::consumer::{BaseConsumer, Consumer};
use runtime::kafka::KafkaArgs;
use sqlx::PgPool;
use sqlx::pool::PoolConnection;
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, EngineArgs, Progress, Source};
use crate::metrics::ProjectorMetrics;
use crate::projection::Projection;

pub(crate) const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// Taken (session-level advisory lock) by the one rebuild of a projection that may run.
pub const REBUILD_LOCK: &str = "SELECT pg_try_advisory_lock(hashtextextended('rebuild:' || $1, 0))";

/// Takes the rebuild lock of `projection` on a connection of its own, held until the rebuild
/// ends, however it ends (the connection never goes back to the pool): two rebuilds at once
/// would each switch and leave the other's generation behind. Close it when done.
pub async fn lock_rebuild(pool: &PgPool, projection: &str) -> anyhow::Result<sqlx::PgConnection> {
    let mut guard = PoolConnection::detach(pool.acquire().await?);
    let alone: bool = sqlx::query_scalar(REBUILD_LOCK)
        .bind(projection)
        .fetch_one(&mut guard)
        .await?;
    anyhow::ensure!(alone, "another rebuild of {projection} is running");
    Ok(guard)
}

pub(crate) fn reader(kafka: &KafkaArgs) -> anyhow::Result<BaseConsumer> {
    Ok(kafka
        .client_config()
        .set("group.id", "identity-operator")
        .set("enable.auto.commit", "false")
        .create()?)
}

/// The low and high watermark of every partition of `topic` (none if it does not exist).
pub(crate) fn watermarks(
    consumer: &BaseConsumer,
    topic: &str,
) -> anyhow::Result<HashMap<i32, (i64, i64)>> {
    let metadata = consumer.fetch_metadata(Some(topic), METADATA_TIMEOUT)?;
    let mut marks = HashMap::new();
    for p in metadata.topics().iter().flat_map(|t| t.partitions()) {
        let marks_of = consumer.fetch_watermarks(topic, p.id(), METADATA_TIMEOUT)?;
        marks.insert(p.id(), marks_of);
    }
    Ok(marks)
}

/// Feeds `projection` from `source` (a consumer group of its own, from offset 0) until it has
/// finished every record the topic held when this began, then stops the engine, committing.
/// Returns the records to catch up per partition; fails if `shutdown` came first.
pub async fn catch_up<P: Projection>(
    kafka: &KafkaArgs,
    pool: &PgPool,
    projection: Arc<P>,
    source: Source,
    engine: &EngineArgs,
    shutdown: &CancellationToken,
) -> anyhow::Result<BTreeMap<i32, i64>> {
    let marks = {
        let kafka = kafka.clone();
        let topic = source.topic.clone();
        tokio::task::spawn_blocking(move || watermarks(&reader(&kafka)?, &topic)).await??
    };
    let goal: BTreeMap<i32, i64> = marks
        .iter()
        .filter(|(_, (low, high))| high > low)
        .map(|(p, (_, high))| (*p, *high))
        .collect();
    tracing::info!(
        projection = projection.name(),
        ?goal,
        "replaying from offset 0"
    );
    let progress = Progress::default();
    let engine = Engine::new(
        kafka,
        pool.clone(),
        projection,
        source,
        engine,
        ProjectorMetrics::default(),
        progress.clone(),
    )?;
    let stop = shutdown.child_token();
    let running = tokio::spawn(engine.run(stop.clone()));
    let caught_up = loop {
        let finished = progress.finished();
        if goal
            .iter()
            .all(|(p, high)| finished.get(p).is_some_and(|f| f + 1 >= *high))
        {
            break true;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break false,
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    };
    stop.cancel();
    running.await.context("rebuild engine")??;
    anyhow::ensure!(
        caught_up,
        "rebuild interrupted before it caught up; nothing switched"
    );
    Ok(goal)
}
