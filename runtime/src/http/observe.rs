//! One middleware for what every request needs observed: a span, Prometheus metrics by route
//! template and status, an in-flight gauge, and one log line per response (with the hidden
//! cause of a 5xx).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing::Instrument;

use super::problem::InternalError;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// HTTP server metrics, registered once per process.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
}

impl HttpMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
            }),
            in_flight: Gauge::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency, by method and route template",
            metrics.duration.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being handled now",
            metrics.in_flight.clone(),
        );
        metrics
    }
}

/// The method as a metric label: the standard ones by name, any other as `other`, so that made-up
/// methods cannot create series without end.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

pub(super) async fn observe(
    State(metrics): State<HttpMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let span = tracing::info_span!(
        "http request",
        http.request.method = %method,
        http.route = %route,
        request_id = %request_id,
    );
    super::trace_context::adopt_remote_parent(&span, request.headers());

    metrics.in_flight.inc();
    let response = next.run(request).instrument(span.clone()).await;
    metrics.in_flight.dec();

    let status = response.status();
    let elapsed = started.elapsed();
    // On the trace alone: the log line below carries the status itself.
    crate::telemetry::trace_attribute(
        &span,
        "http.response.status_code",
        i64::from(status.as_u16()),
    );
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status: status.as_u16(),
        })
        .inc();
    metrics
        .duration
        .get_or_create(&RouteLabels { method, route })
        .observe(elapsed.as_secs_f64());

    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match response.extensions().get::<InternalError>() {
        Some(InternalError(cause)) => {
            tracing::error!(status = status.as_u16(), latency_ms, %cause, "request failed");
        }
        None if status.is_server_error() => {
            tracing::error!(status = status.as_u16(), latency_ms, "request failed");
        }
        None => tracing::info!(status = status.as_u16(), latency_ms, "request handled"),
    }
    drop(_entered);
    response
}
