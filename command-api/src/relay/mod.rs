//! The relay: reads committed events in commit order and publishes them to Kafka, never
//! skipping one. It checkpoints only after Kafka acknowledged a whole batch (so a crash
//! republishes, never loses), and only the leader among running relays publishes.

mod leader;
mod metrics;
pub mod publish;

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use events::RawEvent;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool};
use tokio_util::sync::CancellationToken;

pub use leader::Leadership;
pub use metrics::RelayMetrics;
pub use publish::{PublishError, Publisher};
use store::event_store::{StoreError, raw_event};

#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    /// Name of the relay's checkpoint (and lock); one row in relay_checkpoints.
    #[arg(long = "relay-name", env = "RELAY_NAME", default_value = "kafka")]
    pub name: String,

    /// Most events published per batch.
    #[arg(
        long = "relay-batch-size",
        env = "RELAY_BATCH_SIZE",
        default_value_t = 500
    )]
    pub batch_size: i64,

    /// Longest wait between polls when no append notification arrives.
    #[arg(
        long = "relay-poll-interval-ms",
        env = "RELAY_POLL_INTERVAL_MS",
        default_value_t = 250
    )]
    pub poll_interval_ms: u64,

    /// How long the producer keeps trying to deliver one record before the batch fails.
    #[arg(
        long = "relay-message-timeout-ms",
        env = "RELAY_MESSAGE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub message_timeout_ms: u64,

    /// Longest back-off between failed steps (exponential with jitter from 100 ms).
    #[arg(
        long = "relay-max-backoff-ms",
        env = "RELAY_MAX_BACKOFF_MS",
        default_value_t = 10_000
    )]
    pub max_backoff_ms: u64,
}

impl Default for RelayArgs {
    fn default() -> Self {
        Self {
            name: "kafka".into(),
            batch_size: 500,
            poll_interval_ms: 250,
            message_timeout_ms: 30_000,
            max_backoff_ms: 10_000,
        }
    }
}

/// How far the relay has got: the commit-order key of the last acknowledged event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Checkpoint {
    pub tx_id: i64,
    pub position: i64,
}

/// An event with its commit-order key.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub checkpoint: Checkpoint,
    pub event: RawEvent,
}

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
    /// Published and checkpointed this many events.
    Published(usize),
}

#[derive(Debug)]
pub struct Relay {
    pool: PgPool,
    lock_options: PgConnectOptions,
    publisher: Publisher,
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
            pool,
            lock_options,
            publisher,
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
        let mut listener = self.listener().await;
        let mut checkpoint = None;
        let mut backoff = self.backoff();
        while !shutdown.is_cancelled() {
            if let Err(error) = leadership.confirm().await {
                tracing::warn!(%error, "relay lock connection lost; stepping down");
                return;
            }
            let result = match checkpoint {
                Some(ref mut cp) => self.step(cp).await,
                None => self.load_checkpoint().await.map(|cp| {
                    checkpoint = Some(cp);
                    StepOutcome::Idle
                }),
            };
            let wait = match result {
                Ok(StepOutcome::Published(n)) if n as i64 >= self.args.batch_size => {
                    backoff = self.backoff();
                    continue;
                }
                Ok(_) => {
                    backoff = self.backoff();
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
                    None => wait_for_append(listener.as_mut(), self.poll_interval()).await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = pause => {}
            }
        }
    }

    /// Fetches, publishes and checkpoints one batch.
    pub async fn step(&self, checkpoint: &mut Checkpoint) -> Result<StepOutcome, RelayError> {
        let started = std::time::Instant::now();
        let batch = self.fetch_batch(*checkpoint).await?;
        let outcome = match batch.last() {
            None => StepOutcome::Idle,
            Some(last) => {
                self.publish(&batch).await?;
                let acked = chrono::Utc::now();
                self.save_checkpoint(last.checkpoint).await?;
                *checkpoint = last.checkpoint;
                for o in &batch {
                    let latency = acked - o.event.envelope.recorded_at;
                    self.metrics
                        .commit_to_ack
                        .observe(latency.as_seconds_f64().max(0.0));
                }
                self.metrics.events.inc_by(batch.len() as u64);
                self.metrics.batches.inc();
                StepOutcome::Published(batch.len())
            }
        };
        if outcome == StepOutcome::Idle || self.lag_due() {
            self.record_lag(*checkpoint).await?;
        }
        tracing::debug!(?outcome, elapsed = ?started.elapsed(), "relay step");
        Ok(outcome)
    }

    pub async fn load_checkpoint(&self) -> Result<Checkpoint, RelayError> {
        sqlx::query(
            "INSERT INTO relay_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&self.args.name)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT tx_id::text::bigint AS tx_id, position FROM relay_checkpoints WHERE name = $1",
        )
        .bind(&self.args.name)
        .fetch_one(&self.pool)
        .await?;
        Ok(Checkpoint {
            tx_id: row.try_get("tx_id")?,
            position: row.try_get("position")?,
        })
    }

    /// The next committed events after `after`, in commit order, each stream's in version order.
    pub async fn fetch_batch(&self, after: Checkpoint) -> Result<Vec<Outgoing>, RelayError> {
        let rows = sqlx::query(include_str!("batch.sql"))
            .bind(after.tx_id.to_string())
            .bind(after.position)
            .bind(self.args.batch_size)
            .fetch_all(&self.pool)
            .await?;
        let mut batch = rows
            .iter()
            .map(|row| {
                Ok(Outgoing {
                    checkpoint: Checkpoint {
                        tx_id: row.try_get("tx_id")?,
                        position: row.try_get("position")?,
                    },
                    event: raw_event(row)?,
                })
            })
            .collect::<Result<Vec<_>, RelayError>>()?;
        order_streams(&mut batch);
        Ok(batch)
    }

    /// Publishes a fetched batch without checkpointing it.
    pub async fn publish(&self, batch: &[Outgoing]) -> Result<(), RelayError> {
        let events: Vec<&RawEvent> = batch.iter().map(|o| &o.event).collect();
        Ok(self.publisher.publish(&events).await?)
    }

    /// Moves the checkpoint forward (never back, whoever else wrote it).
    pub async fn save_checkpoint(&self, checkpoint: Checkpoint) -> Result<(), RelayError> {
        sqlx::query(
            "UPDATE relay_checkpoints \
             SET tx_id = $2::text::xid8, position = $3, updated_at = now() \
             WHERE name = $1 AND (tx_id, position) < ($2::text::xid8, $3)",
        )
        .bind(&self.args.name)
        .bind(checkpoint.tx_id.to_string())
        .bind(checkpoint.position)
        .execute(&self.pool)
        .await?;
        Ok(())
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

    async fn record_lag(&self, after: Checkpoint) -> Result<(), RelayError> {
        let age: Option<f64> = sqlx::query_scalar(include_str!("lag.sql"))
            .bind(after.tx_id.to_string())
            .bind(after.position)
            .fetch_optional(&self.pool)
            .await?
            .flatten();
        self.metrics.lag_seconds.set(age.unwrap_or(0.0).max(0.0));
        Ok(())
    }

    async fn listener(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen("events_appended").await.ok()?;
        Some(listener)
    }

    fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(self.max_backoff())
            .with_jitter()
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

/// Waits for an append notification or `timeout`, whichever comes first. Notifications that
/// queued up meanwhile are consumed too: one step publishes everything they announced.
async fn wait_for_append(listener: Option<&mut PgListener>, timeout: Duration) {
    match listener {
        Some(listener) => {
            let _ = tokio::time::timeout(timeout, listener.recv()).await;
            while listener.next_buffered().is_some() {}
        }
        None => tokio::time::sleep(timeout).await,
    }
}

/// Puts each stream's events in version order within the batch, keeping the slots each stream
/// occupies. Commit order already implies it when appends take their xid at the insert; this
/// keeps per-key order even if a transaction wrote elsewhere first.
fn order_streams(batch: &mut [Outgoing]) {
    use std::collections::HashMap;
    let mut slots: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, o) in batch.iter().enumerate() {
        slots
            .entry(o.event.envelope.stream_id.clone())
            .or_default()
            .push(i);
    }
    for indices in slots.values().filter(|ix| ix.len() > 1) {
        let in_order = indices
            .windows(2)
            .all(|w| batch[w[0]].event.envelope.version < batch[w[1]].event.envelope.version);
        if in_order {
            continue;
        }
        tracing::warn!(
            stream_id = %batch[indices[0]].event.envelope.stream_id,
            "events of one stream committed out of version order; reordering within the batch"
        );
        let mut events: Vec<Outgoing> = indices.iter().map(|&i| batch[i].clone()).collect();
        events.sort_by_key(|o| o.event.envelope.version);
        for (&i, o) in indices.iter().zip(events) {
            batch[i].event = o.event;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use events::{Envelope, EventMetadata};

    fn outgoing(position: i64, stream: &str, version: i64) -> Outgoing {
        Outgoing {
            checkpoint: Checkpoint {
                tx_id: 10,
                position,
            },
            event: RawEvent {
                envelope: Envelope {
                    event_id: uuid::Uuid::now_v7(),
                    stream_id: stream.into(),
                    version,
                    recorded_at: chrono::Utc::now(),
                    metadata: EventMetadata::new(None),
                },
                event_type: "session.refreshed.v1".into(),
                payload: serde_json::Value::Null,
            },
        }
    }

    fn layout(batch: &[Outgoing]) -> Vec<(i64, String, i64)> {
        batch
            .iter()
            .map(|o| {
                (
                    o.checkpoint.position,
                    o.event.envelope.stream_id.clone(),
                    o.event.envelope.version,
                )
            })
            .collect()
    }

    #[test]
    fn a_batch_in_stream_order_is_left_alone() {
        let mut batch = vec![
            outgoing(1, "a", 1),
            outgoing(2, "b", 1),
            outgoing(3, "a", 2),
        ];
        let before = layout(&batch);
        order_streams(&mut batch);
        assert_eq!(layout(&batch), before);
    }

    #[test]
    fn versions_out_of_order_within_a_stream_are_reordered_in_place() {
        let mut batch = vec![
            outgoing(1, "a", 2),
            outgoing(2, "b", 7),
            outgoing(3, "a", 1),
            outgoing(4, "a", 3),
        ];
        order_streams(&mut batch);
        assert_eq!(
            layout(&batch),
            vec![
                (1, "a".into(), 1),
                (2, "b".into(), 7),
                (3, "a".into(), 2),
                (4, "a".into(), 3),
            ],
            "checkpoints keep their slots so the last one is still the batch's maximum"
        );
    }
}
