//! Structured JSON logs and OpenTelemetry tracing with W3C trace-context propagation. Spans
//! always get real trace ids (so they can be carried into events and Kafka headers); they are
//! exported by OTLP/HTTP only when an endpoint is configured.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryArgs {
    /// OTLP/HTTP base endpoint for traces, e.g. http://127.0.0.1:4318. Unset: no export.
    #[arg(long = "otlp-endpoint", env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Log filter in RUST_LOG syntax.
    #[arg(long = "log-filter", env = "RUST_LOG", default_value = DEFAULT_LOG_FILTER)]
    pub log_filter: String,
}

/// What the services log unless told otherwise.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

/// Keeps the tracer provider alive; dropping it flushes pending spans.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::debug!(%error, "tracer provider shutdown");
        }
    }
}

/// Installs the global subscriber and propagator, logging to stdout. Call once, from `main`.
pub fn init(service: &'static str, args: &TelemetryArgs) -> anyhow::Result<Telemetry> {
    init_with_writer(service, args, std::io::stdout)
}

/// Like [`init`], with logs written by `writer` (a benchmark keeps them out of its report).
pub fn init_with_writer<W>(
    service: &'static str,
    args: &TelemetryArgs,
    writer: W,
) -> anyhow::Result<Telemetry>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let provider = provider(service, args.otlp_endpoint.as_deref())?;
    let filter = EnvFilter::try_new(&args.log_filter)?;
    install(service, &provider, vec![json_logs(writer, filter)])?;
    Ok(Telemetry { provider })
}

/// For tests: the same stack, installed at most once per process. Warnings go to stdout (or
/// what `TEST_LOG` selects); everything the services log in production (the default
/// `--log-filter`) goes as the same JSON to `log_file`, appended, so a test can read what the
/// services logged.
pub fn init_for_tests(log_file: &Path) {
    static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let provider = SdkTracerProvider::builder().build();
        let filter = EnvFilter::try_from_env("TEST_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_file)
            .unwrap_or_else(|e| panic!("the test log {}: {e}", log_file.display()));
        let logs = vec![
            json_logs(std::io::stdout, filter),
            json_logs(Mutex::new(file), EnvFilter::new(DEFAULT_LOG_FILTER)),
        ];
        // Another test framework may have installed a subscriber already; keep theirs.
        let _ = install("test", &provider, logs);
        provider
    });
}

fn provider(service: &'static str, endpoint: Option<&str>) -> anyhow::Result<SdkTracerProvider> {
    let resource = Resource::builder().with_service_name(service).build();
    let builder = SdkTracerProvider::builder().with_resource(resource);
    Ok(match endpoint {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
                .build()?;
            builder.with_batch_exporter(exporter).build()
        }
        None => builder.build(),
    })
}

type LogLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// One JSON object per line, the event's fields flattened, with its current span.
fn json_logs<W>(writer: W, filter: EnvFilter) -> LogLayer
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_filter(filter)
        .boxed()
}

fn install(
    service: &'static str,
    provider: &SdkTracerProvider,
    logs: Vec<LogLayer>,
) -> anyhow::Result<()> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    tracing_subscriber::registry()
        .with(logs)
        .with(trace_layer(provider.tracer(service)))
        .try_init()?;
    Ok(())
}

/// What goes on traces: spans and events at `info` and above. Unfiltered, the trace layer took
/// every `debug` and `trace` callsite of every library (a query's text, a client's internals)
/// onto the request's span, and kept `log`'s maximum level at `trace`, so each `log::trace!`
/// of a dependency (rdkafka's, twice per native handle it frees) was built and dispatched to
/// be dropped: 2% of a rebuilding projector's samples.
pub fn trace_layer<S>(tracer: opentelemetry_sdk::trace::Tracer) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(LevelFilter::INFO)
}

/// Sets `key` on `span`'s trace alone. A span's fields are also formatted into the JSON its
/// log lines carry, at its start and again (all of them) at every later `record`: for a span
/// made per record or request, keep as fields only what a log line inside it needs.
pub fn trace_attribute(
    span: &tracing::Span,
    key: &'static str,
    value: impl Into<opentelemetry::Value>,
) {
    span.set_attribute(key, value);
}

/// W3C trace context as carried in event metadata and Kafka headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceContext {
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// The context of the current span.
    pub fn current() -> Self {
        let cx = tracing::Span::current().context();
        let mut carrier = HashMap::new();
        TraceContextPropagator::new().inject_context(&cx, &mut carrier);
        Self {
            traceparent: carrier.remove("traceparent"),
            tracestate: carrier.remove("tracestate").filter(|s| !s.is_empty()),
        }
    }

    /// Makes `span` a child of the context carried in `self` (if valid).
    pub fn adopt_as_parent(&self, span: &tracing::Span) {
        if let Some(cx) = self.extract() {
            let _ = span.set_parent(cx);
        }
    }

    /// Adds a link from `span` to the context carried in `self` (if valid): how a consumer span
    /// points at the command that created the message.
    pub fn link_from(&self, span: &tracing::Span) {
        use opentelemetry::trace::TraceContextExt;
        if let Some(cx) = self.extract() {
            span.add_link(cx.span().span_context().clone());
        }
    }

    fn extract(&self) -> Option<opentelemetry::Context> {
        use opentelemetry::trace::TraceContextExt;
        let mut carrier = HashMap::new();
        carrier.insert("traceparent".to_owned(), self.traceparent.clone()?);
        if let Some(state) = &self.tracestate {
            carrier.insert("tracestate".to_owned(), state.clone());
        }
        let cx = TraceContextPropagator::new().extract(&carrier);
        cx.span().span_context().is_valid().then_some(cx)
    }

    /// The 32-hex-digit trace id, if any.
    pub fn trace_id(&self) -> Option<&str> {
        self.traceparent.as_deref()?.split('-').nth(1)
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_sdk::trace::InMemorySpanExporter;

    use super::*;

    #[test]
    fn traces_carry_info_and_above_only() {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry().with(trace_layer(provider.tracer("t")));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request");
            let _entered = span.enter();
            tracing::debug!("a library's internals");
            tracing::info!("what happened");
            tracing::debug_span!("a library's step").in_scope(|| {});
        });
        let spans = exporter.get_finished_spans().expect("spans");
        let names: Vec<_> = spans.iter().map(|s| s.name.to_string()).collect();
        assert_eq!(names, ["request"], "no debug span on the trace");
        let events: Vec<_> = spans[0].events.iter().map(|e| e.name.to_string()).collect();
        assert_eq!(events, ["what happened"], "no debug event on the span");
    }
}
