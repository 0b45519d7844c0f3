//! The projector runtime every projection plugs into: a consumer group on one topic that
//! applies records in parallel up to a limit while keeping each stream's records in order,
//! retries transient failures with exponential backoff and jitter, dead-letters what cannot be
//! applied and parks the rest of that stream, commits only the contiguous prefix of finished
//! records, and on shutdown stops fetching, finishes what is in flight within a deadline,
//! commits and leaves the group.

pub mod dead_letter;
mod handover;
mod lanes;
pub mod offsets;
pub mod parking;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use events::codec::AvroCodec;
use rdkafka::consumer::stream_consumer::StreamConsumer;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{ClientContext, Statistics};
use runtime::kafka::KafkaArgs;
use runtime::telemetry::TraceContext;
use sqlx::PgPool;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::metrics::{PartitionLabels, ProjectionLabels, ProjectorMetrics};
use crate::projection::{ApplyError, Mode, Projection};
use dead_letter::{DeadLetters, Failure, header};
use handover::Handover;
use lanes::Lanes;
use offsets::{Offsets, Ticket};
use parking::Parking;

/// Received records allowed per apply slot (see [`EngineArgs::concurrency`]).
const BUFFERED_PER_SLOT: usize = 16;

/// How the runtime processes records (the same for every projection).
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Most records being applied at once (records of one stream still go one at a time);
    /// up to 16 times as many may wait, received, behind the earlier records of their stream.
    #[arg(
        long = "concurrency",
        env = "PROJECTOR_CONCURRENCY",
        default_value_t = 64
    )]
    pub concurrency: usize,
    /// Longest back-off between retries of a failing event (exponential with jitter).
    #[arg(
        long = "retry-max-backoff-ms",
        env = "RETRY_MAX_BACKOFF_MS",
        default_value_t = 5_000
    )]
    pub max_backoff_ms: u64,
    /// How long one event may keep failing for a passing reason before it is dead-lettered.
    #[arg(
        long = "retry-budget-secs",
        env = "RETRY_BUDGET_SECS",
        default_value_t = 300
    )]
    pub retry_budget_secs: u64,
    /// On SIGTERM, how long events in flight may take to finish before the process leaves.
    #[arg(
        long = "shutdown-grace-secs",
        env = "SHUTDOWN_GRACE_SECS",
        default_value_t = 10
    )]
    pub shutdown_grace_secs: u64,
    /// How long the group waits for a member that stopped answering (killed, partitioned)
    /// before giving its partitions to the others.
    #[arg(
        long = "kafka-session-timeout-ms",
        env = "KAFKA_SESSION_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub session_timeout_ms: u64,
}

impl Default for EngineArgs {
    fn default() -> Self {
        Self {
            concurrency: 64,
            max_backoff_ms: 5_000,
            retry_budget_secs: 300,
            shutdown_grace_secs: 10,
            session_timeout_ms: 10_000,
        }
    }
}

/// Where an engine reads from and how it feeds its projection.
#[derive(Debug, Clone)]
pub struct Source {
    pub topic: String,
    pub dead_letter_topic: String,
    pub group: String,
    pub mode: Mode,
}

/// Shared view of an engine's consumer: whether it holds partitions (readiness), and how far
/// it has committed on each (what a rebuild watches to know it caught up).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    assigned: Arc<AtomicBool>,
    stored: Arc<Mutex<HashMap<i32, i64>>>,
}

impl Progress {
    pub fn is_assigned(&self) -> bool {
        self.assigned.load(Ordering::Acquire)
    }

    /// The last finished offset of each partition since this engine started.
    pub fn finished(&self) -> HashMap<i32, i64> {
        self.stored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The consumer's callbacks: rebalances reset offset tracking and hand parks over; statistics
/// report lag.
struct EngineContext {
    projection: &'static str,
    offsets: Arc<Mutex<Offsets>>,
    handover: Arc<Handover>,
    /// Longest a revoke waits for parks in progress.
    handover_wait: Duration,
    progress: Progress,
    reassigned: Arc<AtomicBool>,
    metrics: ProjectorMetrics,
}

impl ClientContext for EngineContext {
    fn stats(&self, statistics: Statistics) {
        for topic in statistics.topics.values() {
            for p in topic.partitions.values().filter(|p| p.partition >= 0) {
                let gauge = self.metrics.lag_offsets.get_or_create(&PartitionLabels {
                    projection: self.projection,
                    partition: p.partition,
                });
                gauge.set(p.consumer_lag.max(0));
            }
        }
    }
}

impl ConsumerContext for EngineContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
            tracing::info!(?partitions, "partitions revoked");
            lock(&self.offsets).revoke(partitions.iter().copied());
            if !self.hand_over(&partitions) {
                tracing::warn!(
                    ?partitions,
                    "parks still in progress on revoked partitions; handing them over anyway"
                );
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            let partitions: Vec<i32> = list.elements().iter().map(|e| e.partition()).collect();
            tracing::info!(?partitions, "partitions assigned");
            self.handover.assign(partitions.iter().copied());
            lock(&self.offsets).assign(partitions);
            self.reassigned.store(true, Ordering::Release);
        }
        let assigned = consumer.assignment().is_ok_and(|a| a.count() > 0);
        self.progress.assigned.store(assigned, Ordering::Release);
    }
}

impl EngineContext {
    /// Stops new parks on `partitions` and waits (bounded) for those in progress. The callback
    /// runs on the thread polling the consumer, a runtime worker: on a multi-threaded runtime
    /// the wait hands that worker's tasks (the parks among them) to another thread; on a
    /// single-threaded one it cannot wait without blocking the very parks it waits for.
    fn hand_over(&self, partitions: &[i32]) -> bool {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if !self.handover.revoke(partitions) {
            return true;
        }
        let wait = || self.handover.wait(partitions, self.handover_wait);
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
            Ok(_) => false,
            Err(_) => wait(),
        }
    }
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

/// How one record ended.
enum Handled {
    Done,
    /// Shutdown (or a revoke of its partition) came first: the record stays uncommitted and
    /// is consumed again.
    Interrupted,
}

/// What processes records: shared by the tasks of every lane.
struct Worker<P> {
    projection: Arc<P>,
    source: Source,
    /// `process <topic>`, the name of every event's span.
    span_name: String,
    codec: AvroCodec,
    dead_letters: DeadLetters,
    parking: Parking,
    handover: Arc<Handover>,
    metrics: ProjectorMetrics,
    max_backoff: Duration,
    retry_budget: Duration,
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
            .set("max.poll.interval.ms", "600000")
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
        Ok(Self {
            consumer: Arc::new(consumer),
            worker: Arc::new(Worker {
                projection,
                codec: AvroCodec::new(&kafka.schema_registry_url)?,
                dead_letters: DeadLetters::new(kafka)?,
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
        let permits = Arc::new(Semaphore::new(self.concurrency * BUFFERED_PER_SLOT));
        let applying = Arc::new(Semaphore::new(self.concurrency));
        let lanes = Arc::new(Mutex::new(Lanes::default()));
        let mut tasks = JoinSet::new();
        loop {
            let permit = tokio::select! {
                _ = shutdown.cancelled() => break,
                permit = permits.clone().acquire_owned() => permit?,
            };
            let message = tokio::select! {
                _ = shutdown.cancelled() => break,
                message = self.consumer.recv() => message,
            };
            while tasks.try_join_next().is_some() {}
            let message = match message {
                Ok(message) => message.detach(),
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

/// One record's trip through its lane.
struct Job<P> {
    worker: Arc<Worker<P>>,
    consumer: Arc<StreamConsumer<EngineContext>>,
    offsets: Arc<Mutex<Offsets>>,
    lanes: Arc<Mutex<Lanes>>,
    applying: Arc<Semaphore>,
    progress: Progress,
}

impl<P: Projection> Job<P> {
    async fn run(
        self,
        message: OwnedMessage,
        ticket: Ticket,
        stream: String,
        turn: lanes::Turn,
        shutdown: &CancellationToken,
    ) {
        let ready = turn.wait().await;
        let worker = &self.worker;
        // An earlier record of the stream was interrupted: this one waits for the next run.
        let slot = match ready.in_order {
            true => self.applying.acquire().await.ok(),
            false => None,
        };
        let Some(_slot) = slot else {
            let seq = ready.seq;
            ready.finish(false);
            lock(&self.lanes).leave(&stream, seq);
            return;
        };
        let labels = ProjectionLabels {
            projection: worker.projection.name(),
        };
        let in_flight = worker.metrics.in_flight.get_or_create(&labels).clone();
        in_flight.inc();
        let span = tracing::info_span!(
            "process",
            otel.name = %worker.span_name,
            otel.kind = "consumer",
            messaging.system = "kafka",
            messaging.operation.type = "process",
            messaging.destination.name = %worker.source.topic,
            messaging.destination.partition.id = message.partition(),
            messaging.kafka.offset = message.offset(),
            messaging.kafka.message.key = %stream,
            messaging.consumer.group.name = %worker.source.group,
            messaging.message.id = header(&message, "event_id").unwrap_or_default(),
            projection = worker.projection.name(),
            outcome = tracing::field::Empty,
        );
        TraceContext {
            traceparent: header(&message, "traceparent"),
            tracestate: header(&message, "tracestate"),
        }
        .link_from(&span);
        let started = Instant::now();
        let handled = worker
            .handle(&message, &stream, shutdown)
            .instrument(span)
            .await;
        worker
            .metrics
            .apply_seconds
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
        in_flight.dec();
        let seq = ready.seq;
        ready.finish(matches!(handled, Handled::Done));
        lock(&self.lanes).leave(&stream, seq);
        if let Handled::Done = handled {
            let mut offsets = lock(&self.offsets);
            if let Some(offset) = offsets.finish(ticket) {
                match self
                    .consumer
                    .store_offset(&worker.source.topic, ticket.partition, offset)
                {
                    Ok(()) => {
                        lock(&self.progress.stored).insert(ticket.partition, offset);
                    }
                    Err(error) => tracing::debug!(%error, "offset not stored (partition revoked)"),
                }
            }
        }
    }
}

impl<P: Projection> Worker<P> {
    fn backoff(&self) -> impl Iterator<Item = Duration> + use<P> {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(self.max_backoff)
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// Waits for the next back-off step; false if shutdown came first.
    async fn pause(
        &self,
        backoff: &mut impl Iterator<Item = Duration>,
        shutdown: &CancellationToken,
    ) -> bool {
        let wait = backoff.next().unwrap_or(self.max_backoff);
        tokio::select! {
            _ = shutdown.cancelled() => false,
            _ = tokio::time::sleep(wait) => true,
        }
    }

    fn outcome(&self, outcome: &'static str) {
        self.metrics.outcome(self.projection.name(), outcome);
        tracing::Span::current().record("outcome", outcome);
    }

    async fn handle(
        &self,
        message: &OwnedMessage,
        stream: &str,
        shutdown: &CancellationToken,
    ) -> Handled {
        let version = header(message, "stream_version").and_then(|v| v.parse().ok());
        if self.parking.is_parked(stream) {
            let mut backoff = self.backoff();
            loop {
                match self.parking.hold(stream, version).await {
                    Ok(true) => {
                        tracing::info!(stream, ?version, "stream is parked; event held");
                        self.outcome("parked");
                        return Handled::Done;
                    }
                    Ok(false) => break,
                    Err(error) => {
                        tracing::warn!(%error, "cannot record a held event yet");
                        if !self.pause(&mut backoff, shutdown).await {
                            return Handled::Interrupted;
                        }
                    }
                }
            }
        }

        let mut backoff = self.backoff();
        let mut attempts = 0;
        let mut first_failure = None;
        loop {
            attempts += 1;
            let error = match self.apply(message).await {
                Ok(outcome) => {
                    self.outcome(outcome);
                    return Handled::Done;
                }
                Err(error) => error,
            };
            let failed_at = chrono::Utc::now();
            let first = *first_failure.get_or_insert((Instant::now(), failed_at));
            if !self.handover.owns(message.partition()) {
                tracing::info!(%error, "partition revoked; its next owner retries the event");
                return Handled::Interrupted;
            }
            if error.is_transient() && first.0.elapsed() < self.retry_budget {
                tracing::warn!(%error, attempts, "applying failed; retrying");
                self.metrics
                    .retries
                    .get_or_create(&ProjectionLabels {
                        projection: self.projection.name(),
                    })
                    .inc();
                if !self.pause(&mut backoff, shutdown).await {
                    return Handled::Interrupted;
                }
                continue;
            }
            let failure = Failure {
                group: self.source.group.clone(),
                projection: self.projection.name(),
                event_id: header(message, "event_id"),
                stream_id: (!stream.is_empty()).then(|| stream.to_owned()),
                version,
                traceparent: header(message, "traceparent"),
                attempts,
                first_failure: first.1,
                last_failure: failed_at,
                error_class: error.class(),
                error_message: error.to_string(),
            };
            return self.dead_letter(message, &failure, shutdown).await;
        }
    }

    /// Decodes and applies one record.
    async fn apply(&self, message: &OwnedMessage) -> Result<&'static str, ApplyError> {
        let payload = message
            .payload()
            .ok_or_else(|| ApplyError::Permanent("record without a value".into()))?;
        let event = self.codec.decode_event(payload).await.map_err(|e| {
            if e.is_transient() {
                ApplyError::Transient(e.to_string())
            } else {
                ApplyError::Permanent(e.to_string())
            }
        })?;
        let outcome = self.projection.apply(&event, self.source.mode).await?;
        let recorded_at = event.envelope().recorded_at;
        let lag = (chrono::Utc::now() - recorded_at).as_seconds_f64().max(0.0);
        let labels = ProjectionLabels {
            projection: self.projection.name(),
        };
        self.metrics
            .event_lag_seconds
            .get_or_create(&labels)
            .observe(lag);
        self.metrics.lag_seconds.get_or_create(&labels).set(lag);
        Ok(outcome)
    }

    /// Sends the record to the dead-letter topic and parks its stream; both are retried until
    /// they succeed, since the record's offset is committed right after.
    async fn dead_letter(
        &self,
        message: &OwnedMessage,
        failure: &Failure,
        shutdown: &CancellationToken,
    ) -> Handled {
        let Some(_parking) = self.handover.begin_park(message.partition()) else {
            tracing::info!("partition revoked; its next owner dead-letters the event");
            return Handled::Interrupted;
        };
        tracing::error!(
            error_class = failure.error_class,
            error = %failure.error_message,
            attempts = failure.attempts,
            "event cannot be applied; dead-lettering it and parking its stream"
        );
        let mut backoff = self.backoff();
        while let Err(error) = self
            .dead_letters
            .send(&self.source.dead_letter_topic, message, failure)
            .await
        {
            tracing::warn!(%error, "cannot write to the dead-letter topic yet");
            if !self.pause(&mut backoff, shutdown).await {
                return Handled::Interrupted;
            }
        }
        if let Some(stream) = &failure.stream_id {
            while let Err(error) = self
                .parking
                .park(stream, failure.version, failure.error_class)
                .await
            {
                tracing::warn!(%error, "cannot park the stream yet");
                if !self.pause(&mut backoff, shutdown).await {
                    return Handled::Interrupted;
                }
            }
        }
        self.outcome("dead_lettered");
        Handled::Done
    }
}
