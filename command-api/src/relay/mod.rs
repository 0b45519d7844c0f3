//! The relay: reads committed events in commit order and publishes them to Kafka, never
//! skipping one. It checkpoints only after Kafka acknowledged a whole batch (so a crash
//! republishes, never loses), and only the leader among running relays publishes.

mod args;
mod leader;
mod metrics;
mod order;
mod outbox;
mod pipeline;
pub mod publish;

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use sqlx::postgres::{PgConnectOptions, PgPool};
use store::event_store::StoreError;
use tokio_util::sync::CancellationToken;

pub use args::RelayArgs;
pub use leader::Leadership;
pub use metrics::RelayMetrics;
pub use outbox::{Checkpoint, Outgoing};
use outbox::{Outbox, wait_for_append};
pub use pipeline::Pipeline;
pub use publish::{PublishError, Publisher};

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("event store: {0}")]
    Store(#[from] sqlx::Error),
    #[error(transparent)]
    Corrupt(#[from] StoreError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

impl RelayError {
    fn kind(&self) -> &'static str {
        match self {
            Self::Store(_) => "store",
            Self::Corrupt(_) => "corrupt",
            Self::Publish(e) if e.is_permanent() => "encode",
            Self::Publish(_) => "publish",
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Nothing committed past the checkpoint.
    Idle,
    /// Events committed past the checkpoint, held back by an older transaction still running
    /// (see `batch.sql`): they become visible when it ends, which may notify nobody.
    Held,
    /// Published and checkpointed this many events.
    Published(usize),
}

#[derive(Debug)]
pub struct Relay {
    outbox: Outbox,
    lock_options: PgConnectOptions,
    publisher: Arc<Publisher>,
    metrics: RelayMetrics,
    args: RelayArgs,
    lag_measured: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Relay {
    pub fn new(
        pool: PgPool,
        lock_options: PgConnectOptions,
        publisher: Publisher,
        metrics: RelayMetrics,
        args: RelayArgs,
    ) -> Self {
        Self {
            outbox: Outbox::new(pool, args.name.clone(), args.batch_size),
            lock_options,
            publisher: Arc::new(publisher),
            metrics,
            args,
            lag_measured: std::sync::Mutex::default(),
        }
    }

    /// Runs until `shutdown`: waits for leadership, then relays while it leads.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = self.backoff();
        while !shutdown.is_cancelled() {
            match Leadership::try_acquire(&self.lock_options, &self.args.name).await {
                Ok(Some(mut leadership)) => {
                    tracing::info!(relay = %self.args.name, "relay leadership acquired");
                    self.metrics.leader.set(1);
                    self.lead(&mut leadership, &shutdown).await;
                    self.metrics.leader.set(0);
                    backoff = self.backoff();
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "relay cannot reach Postgres for its lock"),
            }
            let wait = backoff.next().unwrap_or(self.poll_interval());
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(wait.max(self.poll_interval())) => {}
            }
        }
    }

    /// Relays while this process holds `leadership`, until shutdown or the lock is lost.
    async fn lead(&self, leadership: &mut Leadership, shutdown: &CancellationToken) {
        let mut listener = self.outbox.listener().await;
        let mut pipeline = None;
        let mut backoff = self.backoff();
        let mut held = self.held_backoff();
        while !shutdown.is_cancelled() {
            if let Err(error) = leadership.confirm().await {
                tracing::warn!(%error, "relay lock connection lost; stepping down");
                return;
            }
            let result = match pipeline {
                Some(ref mut p) => Pipeline::step(p).await,
                // Listening already: what was appended before is read at the first step.
                None => match self.load_checkpoint().await {
                    Ok(checkpoint) => {
                        pipeline = Some(self.pipeline(checkpoint));
                        continue;
                    }
                    Err(error) => Err(error),
                },
            };
            // How long to listen for an append before stepping again.
            let mut listen = self.poll_interval();
            let wait = match result {
                Ok(StepOutcome::Published(n)) if n as i64 >= self.args.batch_size => {
                    backoff = self.backoff();
                    held = self.held_backoff();
                    continue;
                }
                // Looked at again soon, then less and less often, or at the next append.
                Ok(StepOutcome::Held) => {
                    backoff = self.backoff();
                    listen = held.next().unwrap_or(listen);
                    None
                }
                Ok(_) => {
                    backoff = self.backoff();
                    held = self.held_backoff();
                    None
                }
                Err(error) => {
                    self.metrics
                        .errors
                        .get_or_create(&metrics::ErrorLabels { kind: error.kind() })
                        .inc();
                    tracing::warn!(%error, "relay step failed; retrying from the checkpoint");
                    Some(backoff.next().unwrap_or(self.max_backoff()))
                }
            };
            let pause = async {
                match wait {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => wait_for_append(listener.as_mut(), listen).await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = pause => {}
            }
        }
        if let Some(mut pipeline) = pipeline
            && let Err(error) = pipeline.flush().await
        {
            tracing::warn!(%error, "relay checkpoint not saved at shutdown; a restart republishes");
        }
    }

    /// Relays from `checkpoint` on, one [`Pipeline::step`] at a time.
    pub fn pipeline(&self, checkpoint: Checkpoint) -> Pipeline<'_> {
        Pipeline::new(self, checkpoint)
    }

    /// Counts a batch Kafka acknowledged.
    fn acknowledged(&self, batch: &[Outgoing]) {
        let acked = chrono::Utc::now();
        for o in batch {
            let latency = acked - o.event.envelope.recorded_at;
            self.metrics
                .commit_to_ack
                .observe(latency.as_seconds_f64().max(0.0));
        }
        self.metrics.events.inc_by(batch.len() as u64);
        self.metrics.batches.inc();
    }

    pub async fn load_checkpoint(&self) -> Result<Checkpoint, RelayError> {
        self.outbox.load_checkpoint().await
    }

    /// The next committed events after `after`, in commit order, each stream's in version order.
    pub async fn fetch_batch(&self, after: Checkpoint) -> Result<Vec<Outgoing>, RelayError> {
        self.outbox.fetch_batch(after).await
    }

    /// Publishes a fetched batch without checkpointing it.
    pub async fn publish(&self, batch: &[Outgoing]) -> Result<(), RelayError> {
        Ok(self.publisher.publish(&pipeline::events(batch)).await?)
    }

    /// Moves the checkpoint forward (never back, whoever else wrote it).
    pub async fn save_checkpoint(&self, checkpoint: Checkpoint) -> Result<(), RelayError> {
        self.outbox.save_checkpoint(checkpoint).await
    }

    /// Whether the lag gauge is due for a refresh while the relay is busy (once a second).
    fn lag_due(&self) -> bool {
        let mut last = self.lag_measured.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if due {
            *last = Some(std::time::Instant::now());
        }
        due
    }

    /// Sets the lag gauge; whether any committed event after `after` is still unpublished.
    async fn record_lag(&self, after: Checkpoint) -> Result<bool, RelayError> {
        let age = self.outbox.unpublished_age(after).await?;
        self.metrics.lag_seconds.set(age.unwrap_or(0.0));
        Ok(age.is_some())
    }

    fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(self.max_backoff())
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// The waits between looks at events an older transaction holds back.
    fn held_backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(2))
            .with_max_delay(self.poll_interval())
            .without_max_times()
            .build()
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.args.poll_interval_ms)
    }

    fn max_backoff(&self) -> Duration {
        Duration::from_millis(self.args.max_backoff_ms)
    }
}

/// A relay from its flags: its own Kafka producer, its metrics in `registry`.
pub fn build(
    db: &runtime::db::DatabaseArgs,
    kafka: &runtime::kafka::KafkaArgs,
    args: &RelayArgs,
    pool: PgPool,
    registry: &mut prometheus_client::registry::Registry,
) -> anyhow::Result<Relay> {
    let publisher = Publisher::new(kafka, Duration::from_millis(args.message_timeout_ms))
        .map_err(|e| anyhow::anyhow!("creating the Kafka producer: {e}"))?;
    Ok(Relay::new(
        pool,
        db.connect_options()?,
        publisher,
        RelayMetrics::register(registry),
        args.clone(),
    ))
}
