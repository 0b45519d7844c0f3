//! The HTTP stack every server shares: request ids, panic recovery, body limits, problem+json
//! errors, a span and metrics per request, headers every answer carries (`nosniff`, and
//! `no-store` unless a route allows caching), and the ops endpoints (`/healthz`, `/readyz`,
//! `/metrics`, `/openapi.json`, `/docs`).

mod client;
mod docs;
mod health;
mod json;
mod observe;
mod openapi;
pub mod problem;
mod serve;
mod server;
mod trace_context;

use std::any::Any;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::registry::Registry;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use client::{ClientAddr, client_addr, parse_proxy};
pub use health::Readiness;
pub use json::{Json, Path, Query};
pub use observe::HttpMetrics;
pub use problem::Problem;
pub use serve::{ServeOptions, serve};
pub use server::{Server, ServerBuilder};

#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Address the HTTP server listens on.
    #[arg(long = "listen", env = "LISTEN_ADDR")]
    pub listen: Option<SocketAddr>,

    /// Largest accepted request body, in bytes.
    #[arg(long = "body-limit-bytes", env = "HTTP_BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit_bytes: usize,

    /// Longest a request may take before it is answered 503 `timeout` (its work is dropped:
    /// an open transaction rolls back).
    #[arg(
        long = "request-timeout-secs",
        env = "HTTP_REQUEST_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub request_timeout_secs: u64,

    /// Longest a connection may take to send a request's head (line and headers) before it is
    /// closed: a slow-loris client holds nothing for longer.
    #[arg(
        long = "header-read-timeout-secs",
        env = "HTTP_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub header_read_timeout_secs: u64,

    /// Our own proxies (load balancers, ingress), as addresses or networks, comma-separated:
    /// behind them the client is read from `X-Forwarded-For` (the rightmost address not
    /// ours). Empty: the TCP peer is the client.
    #[arg(
        long = "trusted-proxies",
        env = "HTTP_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_proxy
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for HttpArgs {
    fn default() -> Self {
        Self {
            listen: None,
            body_limit_bytes: 64 * 1024,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What the ops endpoints serve.
pub struct Ops {
    pub registry: Arc<Registry>,
    pub checks: Vec<Arc<dyn Readiness>>,
    pub openapi: serde_json::Value,
    pub metrics: HttpMetrics,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ops")
            .field(
                "checks",
                &self.checks.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps a server's routes with the ops endpoints and the standard middleware stack.
pub fn app(routes: Router, ops: Ops) -> Router {
    let state = health::OpsState {
        registry: ops.registry,
        checks: Arc::new(ops.checks),
        openapi: Arc::new(ops.openapi),
    };
    let ops_routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(health::openapi))
        .with_state(state);
    routes
        .merge(ops_routes)
        .merge(docs::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(ops.body_limit_bytes))
        // Tokens, sessions and profiles must not be kept by any cache (RFC 6749 §5.1); JWKS
        // sets its own Cache-Control.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(
            ops.request_timeout,
            time_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            ops.metrics,
            observe::observe,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unfit_request_id))
}

/// Answers 503 `timeout` when the request takes longer than `limit`.
async fn time_limit(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("no answer within {} ms", limit.as_millis()),
        )
        .with_retry_after(1)
        .into_response(),
    }
}

/// Longest request id taken from a client.
const MAX_REQUEST_ID: usize = 128;

/// Removes a client's `x-request-id` that is too long or holds more than letters, digits and
/// `-_.:`, so that a fresh one is made: the id is in every log line of the request.
async fn drop_unfit_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    let fit = |v: &HeaderValue| {
        let bytes = v.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= MAX_REQUEST_ID
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
    };
    if request.headers().get(&REQUEST_ID).is_some_and(|v| !fit(v)) {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}

async fn not_found() -> Problem {
    Problem::not_found("no such resource")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this resource",
    )
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Problem::internal(format!("handler panicked: {message}")).into_response()
}
