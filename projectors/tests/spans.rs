//! One span per applied event, linked to the trace of the command that appended it, with the
//! messaging attributes of the record. Its own test binary: it installs the process's tracing
//! subscriber, with the SDK's in-memory exporter to read the spans back.

#[path = "drills/support.rs"]
#[allow(
    dead_code,
    reason = "the drills' support; this test needs only part of it"
)]
mod support;

use devtools::testing::eventually;
use events::EventMetadata;
use opentelemetry::trace::{TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use uuid::Uuid;

use support::{Drill, Running, TIMEOUT};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_gets_a_span_linked_to_the_command_that_appended_it() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("drill")))
        .try_init()
        .expect("this binary's only subscriber");

    let drill = Drill::start().await;
    let redis = drill.stack.redis.clone();
    let cache = drill.cache(&redis);
    let projectors = Running::start(drill.run_args(&redis)).await;
    let principal = Uuid::now_v7();
    let metadata = EventMetadata {
        traceparent: Some(format!("00-{TRACE_ID}-00f067aa0ba902b7-01")),
        ..EventMetadata::new(None)
    };
    let session = drill.start_session_with(principal, metadata).await;
    eventually(TIMEOUT, "the event to be applied", || async {
        cache.get(session).await.ok().flatten()
    })
    .await;

    let topic = drill.sessions_topic();
    let expected = TraceId::from_hex(TRACE_ID).expect("trace id");
    let span = eventually(TIMEOUT, "the event's span", || async {
        exporter
            .get_finished_spans()
            .expect("spans")
            .into_iter()
            .find(|s| {
                s.links
                    .links
                    .iter()
                    .any(|l| l.span_context.trace_id() == expected)
            })
    })
    .await;
    assert_eq!(span.name, format!("process {topic}"));
    assert_eq!(span.span_kind, opentelemetry::trace::SpanKind::Consumer);
    assert_ne!(
        span.span_context.trace_id(),
        expected,
        "a new trace, linked to the creating one (not its child)"
    );
    let attribute = |key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(attribute("messaging.system").as_deref(), Some("kafka"));
    assert_eq!(
        attribute("messaging.destination.name").as_deref(),
        Some(topic.as_str())
    );
    assert_eq!(
        attribute("messaging.consumer.group.name"),
        Some(format!("{}session-cache", drill.stack.kafka.topic_prefix))
    );
    assert!(attribute("messaging.destination.partition.id").is_some());
    assert!(attribute("messaging.kafka.offset").is_some());
    // Rebuilt from the event store, or already there if the projector's start-up fill of the
    // empty cache read it first.
    assert!(
        matches!(
            attribute("outcome").as_deref(),
            Some("rebuilt" | "already_applied")
        ),
        "{:?}",
        attribute("outcome")
    );

    projectors.stop().await;
}
