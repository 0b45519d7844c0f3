//! The session-cache projector: a consumer group on the sessions topic that applies each event
//! to Redis, retrying transient failures with backoff, and commits an offset only once its
//! event is applied (at least once; the cache's version check absorbs duplicates).

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use command_api::event_store::EventStore;
use events::codec::{AnyEvent, AvroCodec};
use events::topics::Category;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use runtime::kafka::KafkaArgs;
use runtime::telemetry::TraceContext;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::metrics::{ProjectionLabels, ProjectorMetrics};
use command_api::session_cache::{CacheError, SessionCache, Written};

pub const PROJECTION: &str = "session-cache";

#[derive(Debug, Clone, clap::Args)]
pub struct ConsumerArgs {
    /// Consumer group of the session-cache projector.
    #[arg(
        long = "consumer-group",
        env = "CONSUMER_GROUP",
        default_value = "identity-session-cache"
    )]
    pub group: String,
    /// Longest back-off between retries of a failing event.
    #[arg(
        long = "retry-max-backoff-ms",
        env = "RETRY_MAX_BACKOFF_MS",
        default_value_t = 5_000
    )]
    pub max_backoff_ms: u64,
    /// When the cache starts empty, sessions started this far back are rebuilt from the event
    /// store. Keep it at least the session lifetime.
    #[arg(long = "rebuild-window-secs", env = "REBUILD_WINDOW_SECS", default_value_t = 10 * 60 * 60)]
    pub rebuild_window_secs: i64,
}

pub struct SessionCacheProjector {
    consumer: StreamConsumer,
    topic: String,
    group: String,
    codec: AvroCodec,
    cache: SessionCache,
    store: Arc<dyn EventStore>,
    metrics: ProjectorMetrics,
    max_backoff: Duration,
    rebuild_window: chrono::Duration,
}

impl std::fmt::Debug for SessionCacheProjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCacheProjector")
            .field("topic", &self.topic)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl SessionCacheProjector {
    pub fn new(
        kafka: &KafkaArgs,
        args: &ConsumerArgs,
        cache: SessionCache,
        store: Arc<dyn EventStore>,
        metrics: ProjectorMetrics,
    ) -> anyhow::Result<Self> {
        let consumer: StreamConsumer = kafka
            .client_config()
            .set("group.id", &args.group)
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("max.poll.interval.ms", "60000")
            .create()?;
        let topic = kafka.topics().events(Category::Sessions);
        consumer.subscribe(&[&topic])?;
        Ok(Self {
            consumer,
            topic,
            group: args.group.clone(),
            codec: AvroCodec::new(&kafka.schema_registry_url)?,
            cache,
            store,
            metrics,
            max_backoff: Duration::from_millis(args.max_backoff_ms),
            rebuild_window: chrono::Duration::seconds(args.rebuild_window_secs),
        })
    }

    /// Consumes until `shutdown`, then commits what was applied and leaves the group.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.fill_if_empty(&shutdown).await;
        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => break,
                message = self.consumer.recv() => message,
            };
            match message {
                Ok(message) => {
                    if self.process(&message, &shutdown).await {
                        self.consumer.store_offset_from_message(&message)?;
                    }
                }
                Err(error) => tracing::warn!(%error, "Kafka consumer error"),
            }
        }
        if let Err(error) = self.consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!(%error, "nothing to commit at shutdown");
        }
        self.consumer.unsubscribe();
        Ok(())
    }

    /// An empty cache (first start, or Redis lost its data) is filled from the event store
    /// before consuming; until then introspection answers from the event store anyway.
    async fn fill_if_empty(&self, shutdown: &CancellationToken) {
        let mut backoff = ExponentialBuilder::default()
            .with_max_delay(self.max_backoff)
            .with_jitter()
            .without_max_times()
            .build();
        loop {
            let outcome = match self.cache.is_filled().await {
                Ok(true) => return,
                Ok(false) => {
                    let since = chrono::Utc::now() - self.rebuild_window;
                    self.cache.fill(self.store.as_ref(), since).await
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(principals) => {
                    tracing::info!(principals, "session cache filled from the event store");
                    return;
                }
                Err(error) => {
                    let wait = backoff.next().unwrap_or(self.max_backoff);
                    tracing::warn!(%error, ?wait, "cannot fill the session cache yet");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// Applies one record; false if shutdown interrupted it (its offset must not be stored).
    async fn process(&self, message: &BorrowedMessage<'_>, shutdown: &CancellationToken) -> bool {
        let span = tracing::info_span!(
            "process",
            otel.name = %format!("process {}", self.topic),
            messaging.system = "kafka",
            messaging.destination.name = %self.topic,
            messaging.destination.partition.id = message.partition(),
            messaging.kafka.offset = message.offset(),
            messaging.consumer.group.name = %self.group,
            messaging.message.id = tracing::field::Empty,
        );
        creation_context(message).link_from(&span);
        let started = Instant::now();
        let done = self
            .apply_with_retries(message, shutdown)
            .instrument(span)
            .await;
        self.metrics
            .apply_seconds
            .get_or_create(&ProjectionLabels {
                projection: PROJECTION,
            })
            .observe(started.elapsed().as_secs_f64());
        done
    }

    async fn apply_with_retries(
        &self,
        message: &BorrowedMessage<'_>,
        shutdown: &CancellationToken,
    ) -> bool {
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(self.max_backoff)
            .with_jitter()
            .without_max_times()
            .build();
        loop {
            match self.apply(message).await {
                Ok((outcome, recorded_at)) => {
                    self.metrics.outcome(PROJECTION, outcome);
                    if let Some(at) = recorded_at {
                        let lag = (chrono::Utc::now() - at).as_seconds_f64().max(0.0);
                        self.metrics
                            .event_lag_seconds
                            .get_or_create(&ProjectionLabels {
                                projection: PROJECTION,
                            })
                            .observe(lag);
                    }
                    return true;
                }
                Err(Failure::Permanent(error)) => {
                    tracing::error!(%error, "event cannot be applied; skipping it");
                    self.metrics.outcome(PROJECTION, "skipped");
                    return true;
                }
                Err(Failure::Transient(error)) => {
                    let wait = backoff.next().unwrap_or(self.max_backoff);
                    tracing::warn!(%error, ?wait, "applying failed; retrying");
                    self.metrics
                        .retries
                        .get_or_create(&ProjectionLabels {
                            projection: PROJECTION,
                        })
                        .inc();
                    tokio::select! {
                        _ = shutdown.cancelled() => return false,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// Applies one record: the outcome, and when its event was recorded.
    async fn apply(
        &self,
        message: &BorrowedMessage<'_>,
    ) -> Result<(&'static str, Option<chrono::DateTime<chrono::Utc>>), Failure> {
        let payload = message
            .payload()
            .ok_or_else(|| Failure::Permanent("record without a value".into()))?;
        let event = self.codec.decode_event(payload).await.map_err(|e| {
            if e.is_transient() {
                Failure::Transient(e.to_string())
            } else {
                Failure::Permanent(e.to_string())
            }
        })?;
        let AnyEvent::Session(recorded) = event else {
            return Ok(("ignored", None));
        };
        let recorded_at = Some(recorded.envelope.recorded_at);
        tracing::Span::current().record(
            "messaging.message.id",
            tracing::field::display(recorded.envelope.event_id),
        );
        match self
            .cache
            .apply_existing(&recorded)
            .await
            .map_err(Failure::from)?
        {
            Written::Applied => Ok(("applied", recorded_at)),
            Written::AlreadyApplied => Ok(("already_applied", recorded_at)),
            Written::Missing => {
                let principal_id =
                    command_api::session_cache::principal_of(&recorded.envelope.stream_id)
                        .ok_or_else(|| Failure::Permanent("not a sessions stream".into()))?;
                self.cache
                    .rebuild(self.store.as_ref(), principal_id)
                    .await
                    .map_err(Failure::from)?;
                Ok(("rebuilt", recorded_at))
            }
        }
    }
}

enum Failure {
    Transient(String),
    Permanent(String),
}

impl From<CacheError> for Failure {
    fn from(e: CacheError) -> Self {
        if e.is_transient() {
            Self::Transient(e.to_string())
        } else {
            Self::Permanent(e.to_string())
        }
    }
}

/// The trace context the command that created the event sent along (Kafka headers).
fn creation_context(message: &BorrowedMessage<'_>) -> TraceContext {
    let header = |name: &str| {
        message.headers().and_then(|h| {
            h.iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .and_then(|v| std::str::from_utf8(v).ok())
                .map(str::to_owned)
        })
    };
    TraceContext {
        traceparent: header("traceparent"),
        tracestate: header("tracestate"),
    }
}
