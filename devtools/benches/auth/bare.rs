//! The baseline of introspection: a handler doing one Redis GET, behind the same HTTP stack
//! and middleware as every server, with no token or session check.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use prometheus_client::registry::Registry;
use runtime::http::{HttpArgs, HttpMetrics, Ops};
use runtime::redis::RedisArgs;
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Serves `POST /bare` on an ephemeral port; its address.
pub async fn redis_get_handler(redis: &RedisArgs) -> anyhow::Result<SocketAddr> {
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(runtime::http::serve(
        listener,
        app,
        CancellationToken::new(),
        runtime::http::ServeOptions::from_args(&HttpArgs::default()),
    ));
    Ok(addr)
}
