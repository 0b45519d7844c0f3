//! Continues the caller's trace: a request carrying `traceparent` gets a span in that trace.

use axum::http::HeaderMap;

use crate::telemetry::TraceContext;

pub(super) fn adopt_remote_parent(span: &tracing::Span, headers: &HeaderMap) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    TraceContext {
        traceparent: header("traceparent"),
        tracestate: header("tracestate"),
    }
    .adopt_as_parent(span);
}
