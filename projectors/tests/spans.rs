//! One span per applied event, linked to the trace of the command that appended it, with the
//! messaging attributes of the record: on the session cache and on the customer directory; none
//! for the records a rebuild replays. Its
//! own test binary: it installs the process's tracing subscriber, with the SDK's in-memory
//! exporter to read the spans back.

#[path = "drills/shop.rs"]
#[allow(
    dead_code,
    reason = "the customer drills' writer; this test signs up only"
)]
mod shop;
#[path = "drills/support.rs"]
#[allow(
    dead_code,
    reason = "the drills' support; this test needs only part of it"
)]
mod support;

use std::sync::{Arc, OnceLock};

use devtools::testing::eventually;
use events::EventMetadata;
use events::topics::Category;
use opentelemetry::trace::{TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use uuid::Uuid;

use shop::Shop;
use support::{Drill, Running, TIMEOUT, rebuild_args};

/// The spans the process finished, installed once for the binary's tests.
fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        tracing_subscriber::registry()
            .with(runtime::telemetry::trace_layer(provider.tracer("drill")))
            .try_init()
            .expect("this binary's only subscriber");
        exporter
    })
}

/// A command's metadata carrying trace `trace_id`.
fn traced(trace_id: &str) -> EventMetadata {
    EventMetadata {
        traceparent: Some(format!("00-{trace_id}-00f067aa0ba902b7-01")),
        ..EventMetadata::new(None)
    }
}

/// The span of the event whose command had trace `trace_id`: a consumer span of `topic`, in
/// a new trace linked to the command's, with the record's messaging attributes and the
/// consumer group `group`. Its `outcome` attribute.
async fn linked_span(trace_id: &str, topic: &str, group: &str) -> Option<String> {
    let expected = TraceId::from_hex(trace_id).expect("trace id");
    let span: SpanData = eventually(TIMEOUT, "the event's span", || async {
        exporter()
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
        Some(topic)
    );
    assert_eq!(
        attribute("messaging.consumer.group.name").as_deref(),
        Some(group)
    );
    assert!(attribute("messaging.destination.partition.id").is_some());
    assert!(attribute("messaging.kafka.offset").is_some());
    attribute("outcome")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_session_event_gets_a_span_linked_to_the_command_that_appended_it() {
    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    exporter();
    let drill = Drill::start().await;
    let redis = drill.stack.redis.clone();
    let cache = drill.cache(&redis);
    let projectors = Running::start(drill.run_args(&redis)).await;
    let principal = Uuid::now_v7();
    let session = drill.start_session_with(principal, traced(TRACE_ID)).await;
    eventually(TIMEOUT, "the event to be applied", || async {
        cache.get(principal, session).await.ok().flatten()
    })
    .await;

    let group = format!("{}session-cache", drill.stack.kafka.topic_prefix);
    let outcome = linked_span(TRACE_ID, &drill.sessions_topic(), &group).await;
    // Rebuilt from the event store, or already there if the projector's start-up fill of the
    // empty cache read it first.
    assert!(
        matches!(outcome.as_deref(), Some("rebuilt" | "already_applied")),
        "{outcome:?}"
    );
    projectors.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_customer_event_gets_a_span_linked_to_the_command_that_appended_it() {
    const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
    exporter();
    let drill = Arc::new(Drill::start().await);
    let projectors = Running::start(drill.run_args(&drill.stack.redis)).await;
    let shop = Shop::new(drill.clone());
    shop.sign_up(traced(TRACE_ID)).await;
    eventually(TIMEOUT, "the customer to be projected", || async {
        shop.directory_matches().await.then_some(())
    })
    .await;

    let topic = drill.stack.kafka.topics().events(Category::Customers);
    let group = format!("{}customer-directory", drill.stack.kafka.topic_prefix);
    let outcome = linked_span(TRACE_ID, &topic, &group).await;
    assert_eq!(outcome.as_deref(), Some("applied"));
    projectors.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_traces_none_of_the_records_it_replays() {
    const TRACE_ID: &str = "5b8aa5a2d2c872e8321cf37308d69df2";
    exporter();
    let drill = Drill::start().await;
    let redis = drill.stack.redis.clone();
    let run = drill.run_args(&redis);
    let projectors = Running::start(run.clone()).await;
    let principal = Uuid::now_v7();
    drill.start_session_with(principal, traced(TRACE_ID)).await;
    let live_group = run.session_cache.group_of(0);
    linked_span(TRACE_ID, &drill.sessions_topic(), &live_group).await;

    let rebuilt = projectors::ops::rebuild(rebuild_args(&run), CancellationToken::new())
        .await
        .expect("rebuild");
    assert!(rebuilt.partitions.values().sum::<i64>() > 0, "{rebuilt:?}");

    let replay_group = run.session_cache.group_of(rebuilt.generation);
    let replayed: Vec<_> = exporter()
        .get_finished_spans()
        .expect("spans")
        .into_iter()
        .filter(|span| {
            span.attributes.iter().any(|kv| {
                kv.key.as_str() == "messaging.consumer.group.name"
                    && kv.value.as_str() == replay_group.as_str()
            })
        })
        .collect();
    assert!(replayed.is_empty(), "{} records traced", replayed.len());
    projectors.stop().await;
}
