//! What the shared HTTP stack adds to every answer: headers that keep tokens out of caches and
//! browsers from guessing types, metric labels that made-up methods cannot multiply, a
//! `/readyz` that names a failed dependency without telling anyone why, and a time limit.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use prometheus_client::registry::Registry;
use runtime::http::{HttpMetrics, Ops, Readiness, app};
use tower::ServiceExt;

/// A dependency whose check fails with a message that must stay private.
struct Down;

#[async_trait::async_trait]
impl Readiness for Down {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), String> {
        Err("password authentication failed for user \"secret-user\" at 10.1.2.3".into())
    }
}

fn stack() -> (Router, Arc<Registry>) {
    let mut registry = Registry::default();
    let metrics = HttpMetrics::register(&mut registry);
    let registry = Arc::new(registry);
    let routes = Router::new()
        .route("/v1/thing", get(|| async { "thing" }))
        .route(
            "/v1/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            }),
        );
    let ops = Ops {
        registry: registry.clone(),
        checks: vec![Arc::new(Down)],
        openapi: serde_json::json!({}),
        metrics,
        body_limit_bytes: 1024,
        request_timeout: Duration::from_millis(100),
    };
    (app(routes, ops), registry)
}

async fn call(router: &Router, method: &str, path: &str) -> axum::response::Response {
    call_with(router, method, path, None).await
}

async fn call_with(
    router: &Router,
    method: &str,
    path: &str,
    request_id: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    let request = request.body(Body::empty()).expect("request");
    router.clone().oneshot(request).await.expect("answer")
}

#[tokio::test]
async fn a_fit_request_id_is_kept_and_an_unfit_one_replaced() {
    let (router, _) = stack();
    let id = |response: &axum::response::Response| {
        response.headers()["x-request-id"]
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    let kept = call_with(&router, "GET", "/v1/thing", Some("checkout-42.retry:1")).await;
    assert_eq!(id(&kept), "checkout-42.retry:1");
    for unfit in ["x".repeat(129), "<script>".into(), "a b".into()] {
        let replaced = call_with(&router, "GET", "/v1/thing", Some(&unfit)).await;
        let replaced = id(&replaced);
        assert!(
            uuid::Uuid::parse_str(&replaced).is_ok(),
            "{unfit:?} became {replaced:?}"
        );
    }
}

#[tokio::test]
async fn every_answer_is_no_store_and_nosniff() {
    let (router, _) = stack();
    for path in ["/v1/thing", "/no/such/thing", "/healthz"] {
        let response = call(&router, "GET", path).await;
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "no-store",
            "{path}"
        );
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{path}"
        );
    }
}

#[tokio::test]
async fn made_up_methods_share_one_metric_label() {
    let (router, registry) = stack();
    for method in ["FOO1", "FOO2", "BREW", "GET"] {
        call(&router, method, "/v1/thing").await;
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("metrics");
    assert!(!text.contains("FOO1") && !text.contains("BREW"), "{text}");
    assert!(text.contains(r#"method="other""#), "{text}");
    assert!(text.contains(r#"method="GET""#), "{text}");
}

#[tokio::test]
async fn readyz_names_the_failed_dependency_but_not_why() {
    let (router, _) = stack();
    let response = call(&router, "GET", "/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("body");
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("postgres"), "{body}");
    assert!(
        !body.contains("secret-user") && !body.contains("10.1.2.3"),
        "{body}"
    );
}

#[tokio::test]
async fn a_request_past_its_time_limit_is_answered_503_timeout() {
    let (router, _) = stack();
    let response = call(&router, "GET", "/v1/slow").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    let body = to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("body");
    let problem: serde_json::Value = serde_json::from_slice(&body).expect("problem+json");
    assert_eq!(problem["code"], "timeout");
}
