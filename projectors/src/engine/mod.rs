//! The projector runtime every projection plugs into: a consumer group on one topic that
//! applies records in parallel up to a limit while keeping each stream's records in order,
//! retries transient failures with exponential backoff and jitter, dead-letters what cannot be
//! applied and parks the rest of that stream, commits only the contiguous prefix of finished
//! records, and on shutdown stops fetching, finishes what is in flight within a deadline,
//! commits and leaves the group.

mod args;
mod context;
pub mod dead_letter;
mod handover;
mod job;
mod lanes;
pub mod offsets;
pub mod parking;
mod room;
mod worker;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::codec::AvroCodec;
use rdkafka::consumer::stream_consumer::StreamConsumer;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::message::Message;
use runtime::kafka::KafkaArgs;
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::metrics::ProjectorMetrics;
use crate::projection::{Mode, Projection};
pub use args::EngineArgs;
use context::EngineContext;
pub use context::Progress;
use dead_letter::DeadLetters;
use handover::Handover;
use job::Job;
use lanes::Lanes;
use offsets::Offsets;
use parking::Parking;
use worker::Worker;

/// Received records allowed per apply slot (see [`EngineArgs::concurrency`]).
const BUFFERED_PER_SLOT: usize = 16;

/// Where an engine reads from and how it feeds its projection.
#[derive(Debug, Clone)]
pub struct Source {
    pub topic: String,
    pub dead_letter_topic: String,
    pub group: String,
    pub mode: Mode,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A consumer group feeding one projection.
pub struct Engine<P: Projection> {
    consumer: Arc<StreamConsumer<EngineContext>>,
    worker: Arc<Worker<P>>,
    offsets: Arc<Mutex<Offsets>>,
    reassigned: Arc<AtomicBool>,
    progress: Progress,
    concurrency: usize,
    shutdown_grace: Duration,
}

impl<P: Projection> std::fmt::Debug for Engine<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("projection", &self.worker.projection.name())
            .field("source", &self.worker.source)
            .finish_non_exhaustive()
    }
}

impl<P: Projection> Engine<P> {
    pub fn new(
        kafka: &KafkaArgs,
        pool: PgPool,
        projection: Arc<P>,
        source: Source,
        args: &EngineArgs,
        metrics: ProjectorMetrics,
        progress: Progress,
    ) -> anyhow::Result<Self> {
        let offsets = Arc::new(Mutex::new(Offsets::default()));
        let reassigned = Arc::new(AtomicBool::new(false));
        let handover = Arc::new(Handover::default());
        let shutdown_grace = Duration::from_secs(args.shutdown_grace_secs);
        let context = EngineContext {
            projection: projection.name(),
            offsets: offsets.clone(),
            handover: handover.clone(),
            handover_wait: shutdown_grace,
            progress: progress.clone(),
            reassigned: reassigned.clone(),
            metrics: metrics.clone(),
        };
        let consumer: StreamConsumer<EngineContext> = kafka
            .client_config()
            .set("group.id", &source.group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "1000")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set(
                "max.poll.interval.ms",
                args.max_poll_interval_ms.to_string(),
            )
            // Settings chosen for Apache Kafka, with why: docs/KAFKA.md.
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("fetch.min.bytes", "1")
            .set("fetch.wait.max.ms", "100")
            .set("statistics.interval.ms", "5000")
            .set("session.timeout.ms", args.session_timeout_ms.to_string())
            .set(
                "heartbeat.interval.ms",
                (args.session_timeout_ms / 3).clamp(100, 3_000).to_string(),
            )
            .create_with_context(context)?;
        let name = projection.name();
        metrics.prepare(name);
        Ok(Self {
            consumer: Arc::new(consumer),
            worker: Arc::new(Worker {
                projection,
                codec: AvroCodec::new(&kafka.schema_registry_url)?,
                dead_letters: DeadLetters::new(kafka),
                parking: Parking::new(pool, name),
                handover,
                metrics,
                max_backoff: Duration::from_millis(args.max_backoff_ms),
                retry_budget: Duration::from_secs(args.retry_budget_secs),
                span_name: format!("process {}", source.topic),
                source,
            }),
            offsets,
            reassigned,
            progress,
            concurrency: args.concurrency.max(1),
            shutdown_grace,
        })
    }

    /// Consumes until `shutdown`; then finishes what is in flight (within the grace period),
    /// commits and leaves the group.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let worker = &self.worker;
        self.consumer.subscribe(&[&worker.source.topic])?;
        // Received records wait in their stream's lane; a stream stuck retrying holds up only
        // its own records, until the buffer is full.
        let capacity = self.concurrency * BUFFERED_PER_SLOT;
        let permits = Arc::new(Semaphore::new(capacity));
        let applying = Arc::new(Semaphore::new(self.concurrency));
        let lanes = Arc::new(Mutex::new(Lanes::default()));
        let mut tasks = JoinSet::new();
        // Records delivered while the buffer was full, taken first.
        let mut aside = VecDeque::new();
        loop {
            let Some(permit) = self.room(&permits, capacity, &mut aside, &shutdown).await else {
                break;
            };
            let message = match aside.pop_front() {
                Some(message) => Ok(message),
                None => tokio::select! {
                    _ = shutdown.cancelled() => break,
                    message = self.consumer.recv() => message.map(|m| m.detach()),
                },
            };
            while tasks.try_join_next().is_some() {}
            let message = match message {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!(%error, "Kafka consumer error");
                    continue;
                }
            };
            if self.reassigned.swap(false, Ordering::AcqRel) {
                self.reload_parked(&shutdown).await;
            }
            let Some(ticket) = lock(&self.offsets).begin(message.partition(), message.offset())
            else {
                continue;
            };
            let stream = message
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default();
            let turn = lock(&lanes).enter(&stream);
            let job = Job {
                worker: self.worker.clone(),
                consumer: self.consumer.clone(),
                offsets: self.offsets.clone(),
                lanes: lanes.clone(),
                applying: applying.clone(),
                progress: self.progress.clone(),
            };
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                job.run(message, ticket, stream, turn, &shutdown).await;
                drop(permit);
            });
        }
        tracing::info!(
            in_flight = tasks.len(),
            "stopping: finishing events in flight"
        );
        let drained = tokio::time::timeout(self.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                abandoned = tasks.len(),
                "events still in flight after the grace period; they will be consumed again"
            );
            tasks.shutdown().await;
        }
        if let Err(error) = self.consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!(%error, "nothing to commit at shutdown");
        }
        self.consumer.unsubscribe();
        self.progress.assigned.store(false, Ordering::Release);
        Ok(())
    }

    async fn reload_parked(&self, shutdown: &CancellationToken) {
        let mut backoff = self.worker.backoff();
        loop {
            match self.worker.parking.reload().await {
                Ok(parked) => {
                    tracing::info!(parked, "parked streams loaded");
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot load the parked streams yet");
                    if !self.worker.pause(&mut backoff, shutdown).await {
                        return;
                    }
                }
            }
        }
    }
}
