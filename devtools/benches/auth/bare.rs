//! The baseline of introspection: a handler doing one Redis GET, behind the same HTTP stack,
//! middleware and JSON request log as every server, with no token or session check. It runs
//! as a process of its own, as the servers do: this bench's executable started again with
//! `--bare-handler`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use prometheus_client::registry::Registry;
use runtime::http::{HttpArgs, HttpMetrics, Ops};
use runtime::redis::RedisArgs;
use runtime::telemetry::TelemetryArgs;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::platform::{Platform, Server};

/// The flag that makes this executable serve the bare handler instead of benchmarking.
pub const FLAG: &str = "--bare-handler";

/// Starts the bare handler as a process beside `platform`'s servers, logging where they do.
pub async fn start(platform: &Platform) -> anyhow::Result<Server> {
    let this = std::env::current_exe()?;
    platform.start_process("bare handler", &this, &[FLAG]).await
}

/// Serves `POST /bare` at `LISTEN_ADDR` until killed (the child's side of [`start`]).
pub async fn serve() -> anyhow::Result<()> {
    let _telemetry = runtime::telemetry::init(
        "bare",
        &TelemetryArgs {
            otlp_endpoint: None,
            log_filter: std::env::var("RUST_LOG")?,
        },
    )?;
    let redis = RedisArgs {
        url: std::env::var("REDIS_URL")?,
        key_prefix: std::env::var("REDIS_KEY_PREFIX")?,
    };
    let key = format!("{}bare", redis.key_prefix);
    let redis = redis.connect()?;
    let routes = Router::new().route(
        "/bare",
        post(move || {
            let (mut redis, key) = (redis.clone(), key.clone());
            async move {
                let value: Option<String> = redis::cmd("GET")
                    .arg(&key)
                    .query_async(&mut redis)
                    .await
                    .map_err(runtime::http::Problem::internal)?;
                Ok::<_, runtime::http::Problem>(axum::Json(json!({ "active": value.is_none() })))
            }
        }),
    );
    let mut registry = Registry::default();
    let metrics = HttpMetrics::register(&mut registry);
    let app = runtime::http::app(
        routes,
        Ops {
            registry: Arc::new(registry),
            checks: Vec::new(),
            openapi: json!({}),
            metrics,
            body_limit_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
        },
    );
    let listener = tokio::net::TcpListener::bind(std::env::var("LISTEN_ADDR")?).await?;
    runtime::http::serve(
        listener,
        app,
        CancellationToken::new(),
        runtime::http::ServeOptions::from_args(&HttpArgs::default()),
    )
    .await?;
    Ok(())
}
