//! `/healthz` (the process answers), `/readyz` (its dependencies answer) and `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::registry::Registry;
use serde_json::json;

use super::Problem;

/// A dependency that `/readyz` checks.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn check(&self) -> Result<(), String>;
}

#[derive(Clone)]
pub(super) struct OpsState {
    pub registry: Arc<Registry>,
    pub checks: Arc<Vec<Arc<dyn Readiness>>>,
    pub openapi: Arc<serde_json::Value>,
}

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

pub(super) async fn readyz(State(ops): State<OpsState>) -> Response {
    let results = futures::future::join_all(ops.checks.iter().map(|c| async move {
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, c.check()).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {CHECK_TIMEOUT:?}")),
        };
        (c.name(), outcome)
    }))
    .await;
    // Which dependency failed is public; why stays in the log, for operators only.
    let failed: Vec<&str> = results
        .iter()
        .filter_map(|(name, r)| {
            let error = r.as_ref().err()?;
            tracing::warn!(dependency = name, %error, "not ready");
            Some(*name)
        })
        .collect();
    if failed.is_empty() {
        let checks: serde_json::Map<_, _> = results
            .iter()
            .map(|(name, _)| ((*name).to_owned(), json!("ok")))
            .collect();
        axum::Json(json!({ "status": "ready", "checks": checks })).into_response()
    } else {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("not ready: {} unavailable", failed.join(", ")),
        )
        .with_retry_after(1)
        .into_response()
    }
}

pub(super) async fn metrics(State(ops): State<OpsState>) -> Response {
    let mut body = String::new();
    match prometheus_client::encoding::text::encode(&mut body, &ops.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(e) => Problem::internal(format!("metrics encoding: {e}")).into_response(),
    }
}

pub(super) async fn openapi(State(ops): State<OpsState>) -> Response {
    axum::Json(ops.openapi.as_ref().clone()).into_response()
}
