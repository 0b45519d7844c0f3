//! How one record is handled: decoded, applied with retries, dead-lettered and its stream
//! parked when it cannot be, each in a span linked to the command that appended it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use events::codec::AvroCodec;
use rdkafka::message::{Message, OwnedMessage};
use runtime::telemetry::trace_attribute;
use tokio_util::sync::CancellationToken;

use super::Source;
use super::dead_letter::{DeadLetters, Failure, header};
use super::handover::Handover;
use super::parking::Parking;
use crate::metrics::{ProjectionLabels, ProjectorMetrics};
use crate::projection::{ApplyError, Projection};

/// How one record ended.
pub(super) enum Handled {
    Done,
    /// Shutdown (or a revoke of its partition) came first: the record stays uncommitted and
    /// is consumed again.
    Interrupted,
}

/// Which record a log line is about, as `topic[partition]@offset`: a replay handles its records
/// in no span (see job.rs), so the worker's lines say it themselves.
struct At<'a>(&'a OwnedMessage);

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0;
        write!(f, "{}[{}]@{}", m.topic(), m.partition(), m.offset())
    }
}

/// What processes records: shared by the tasks of every lane.
pub(super) struct Worker<P> {
    pub(super) projection: Arc<P>,
    pub(super) source: Source,
    /// `process <topic>`, the name of every event's span.
    pub(super) span_name: String,
    pub(super) codec: AvroCodec,
    pub(super) dead_letters: DeadLetters,
    pub(super) parking: Parking,
    pub(super) handover: Arc<Handover>,
    pub(super) metrics: ProjectorMetrics,
    pub(super) max_backoff: Duration,
    pub(super) retry_budget: Duration,
}

impl<P: Projection> Worker<P> {
    pub(super) fn backoff(&self) -> impl Iterator<Item = Duration> + use<P> {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(50))
            .with_max_delay(self.max_backoff)
            .with_jitter()
            .without_max_times()
            .build()
    }

    /// Waits for the next back-off step; false if shutdown came first.
    pub(super) async fn pause(
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

    /// Counts how a record ended, and says so on its span's trace (known only at the end, when
    /// no log line of the span is left to carry it).
    pub(super) fn outcome(&self, outcome: &'static str) {
        self.metrics.outcome(self.projection.name(), outcome);
        trace_attribute(&tracing::Span::current(), "outcome", outcome);
    }

    pub(super) async fn handle(
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
                        tracing::info!(record = %At(message), stream, ?version, "stream is parked; event held");
                        self.outcome("parked");
                        return Handled::Done;
                    }
                    Ok(false) => break,
                    Err(error) => {
                        tracing::warn!(%error, record = %At(message), stream, "cannot record a held event yet");
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
        // Whether the store was down when last asked: the budget counts only time during which
        // it answered, so a record that failed in the outage gets a whole budget after it.
        let mut store_was_down = false;
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
                tracing::info!(%error, record = %At(message), stream, "partition revoked; its next owner retries the event");
                return Handled::Interrupted;
            }
            let within_budget = error.is_transient() && first.0.elapsed() < self.retry_budget;
            // Past the budget, or a permanent failure: the record is at fault only if the
            // read model's store answers, and answered all along. While it does not, the outage
            // is, however long.
            let outage = !within_budget && {
                let down = !self.projection.sink_available().await;
                std::mem::replace(&mut store_was_down, down) || down
            };
            if within_budget || outage {
                if outage {
                    first_failure = None;
                    tracing::warn!(%error, attempts, record = %At(message), stream, "read model unavailable; waiting for it");
                } else {
                    tracing::warn!(%error, attempts, record = %At(message), stream, "applying failed; retrying");
                }
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
    pub(super) async fn apply(&self, message: &OwnedMessage) -> Result<&'static str, ApplyError> {
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
    pub(super) async fn dead_letter(
        &self,
        message: &OwnedMessage,
        failure: &Failure,
        shutdown: &CancellationToken,
    ) -> Handled {
        let Some(_parking) = self.handover.begin_park(message.partition()) else {
            tracing::info!(record = %At(message), "partition revoked; its next owner dead-letters the event");
            return Handled::Interrupted;
        };
        tracing::error!(
            record = %At(message),
            stream = failure.stream_id.as_deref().unwrap_or_default(),
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
            tracing::warn!(%error, record = %At(message), "cannot write to the dead-letter topic yet");
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
                tracing::warn!(%error, record = %At(message), stream, "cannot park the stream yet");
                if !self.pause(&mut backoff, shutdown).await {
                    return Handled::Interrupted;
                }
            }
        }
        self.outcome("dead_lettered");
        Handled::Done
    }
}
