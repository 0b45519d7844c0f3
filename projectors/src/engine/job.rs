//! One record's trip through its lane: wait for its turn and an apply slot, have the worker
//! handle it in a span linked to the command that appended it, hand the lane to the stream's
//! next record, and store the offset once every record before it has finished.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use rdkafka::consumer::Consumer;
use rdkafka::consumer::stream_consumer::StreamConsumer;
use rdkafka::message::{Message, OwnedMessage};
use runtime::telemetry::{TraceContext, trace_attribute};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::dead_letter::header;
use super::lanes::Lanes;
use super::offsets::{Offsets, Ticket};
use super::worker::{Handled, Worker};
use super::{EngineContext, Progress, lock};
use crate::metrics::ProjectionLabels;
use crate::projection::{Mode, Projection};

/// One record's trip through its lane.
pub(super) struct Job<P> {
    pub(super) worker: Arc<Worker<P>>,
    pub(super) consumer: Arc<StreamConsumer<EngineContext>>,
    pub(super) offsets: Arc<Mutex<Offsets>>,
    pub(super) lanes: Arc<Mutex<Lanes>>,
    pub(super) applying: Arc<Semaphore>,
    pub(super) progress: Progress,
}

impl<P: Projection> Job<P> {
    pub(super) async fn run(
        self,
        message: OwnedMessage,
        ticket: Ticket,
        stream: String,
        turn: super::lanes::Turn,
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
        let span = span_of(worker, &message, &stream);
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

/// The span a record is handled in: in a new trace linked to the command that appended the
/// record. A replay traces no record (a rebuild would export a span for each of millions of
/// events, linked to commands long gone); the worker's log lines say which record they are
/// about either way.
fn span_of<P: Projection>(
    worker: &Worker<P>,
    message: &OwnedMessage,
    stream: &str,
) -> tracing::Span {
    if worker.source.mode == Mode::Replay {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "process",
        otel.name = %worker.span_name,
        otel.kind = "consumer",
        messaging.destination.partition.id = message.partition(),
        messaging.kafka.offset = message.offset(),
        messaging.kafka.message.key = %stream,
        messaging.message.id = header(message, "event_id").unwrap_or_default(),
        projection = worker.projection.name(),
    );
    // The same for every record: on its trace, not in the fields its log lines format.
    let source = &worker.source;
    trace_attribute(&span, "messaging.system", "kafka");
    trace_attribute(&span, "messaging.operation.type", "process");
    trace_attribute(&span, "messaging.destination.name", source.topic.clone());
    trace_attribute(&span, "messaging.consumer.group.name", source.group.clone());
    TraceContext {
        traceparent: header(message, "traceparent"),
        tracestate: header(message, "tracestate"),
    }
    .link_from(&span);
    span
}
