//! The shared HTTP stack: a panicking handler is a problem+json 500 and the server lives on;
//! request ids are propagated; metrics count by route template; unknown routes are 404s.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use prometheus_client::registry::Registry;
use runtime::http::{HttpMetrics, Ops, Problem};
use tokio_util::sync::CancellationToken;

async fn serve(routes: Router) -> (String, CancellationToken) {
    let mut registry = Registry::with_prefix("test");
    let metrics = HttpMetrics::register(&mut registry);
    let app = runtime::http::app(
        routes,
        Ops {
            registry: Arc::new(registry),
            checks: Vec::new(),
            openapi: serde_json::json!({ "openapi": "3.1.0" }),
            metrics,
            body_limit_bytes: 1024,
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let shutdown = CancellationToken::new();
    tokio::spawn(runtime::http::serve(listener, app, shutdown.clone()));
    (url, shutdown)
}

async fn boom() -> &'static str {
    panic!("handler bug")
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_problem_and_the_server_lives_on() {
    let routes = Router::new()
        .route("/boom/{id}", get(boom))
        .route("/fine", get(|| async { "fine" }));
    let (url, shutdown) = serve(routes).await;
    let http = reqwest::Client::new();

    let response = http
        .get(format!("{url}/boom/7"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(response.headers()["x-request-id"], "req-42");
    let body = response.text().await.expect("body");
    assert!(
        !body.contains("handler bug"),
        "the cause is logged, not shown: {body}"
    );
    let problem: serde_json::Value = serde_json::from_str(&body).expect("problem json");
    assert_eq!(problem["code"], "internal");

    let fine = http
        .get(format!("{url}/fine"))
        .send()
        .await
        .expect("answer");
    assert_eq!(fine.status(), 200);
    assert!(
        fine.headers().contains_key("x-request-id"),
        "ids are made when absent"
    );

    let metrics = http
        .get(format!("{url}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(
            r#"test_http_requests_total{method="GET",route="/boom/{id}",status="500"} 1"#
        ),
        "{metrics}"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn unknown_routes_and_methods_get_problems() {
    let routes = Router::new().route("/only-get", get(|| async { "ok" }));
    let (url, shutdown) = serve(routes).await;
    let http = reqwest::Client::new();
    let missing = http
        .get(format!("{url}/nope"))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let wrong_method = http
        .delete(format!("{url}/only-get"))
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(
        wrong_method.headers()["content-type"],
        "application/problem+json"
    );
    shutdown.cancel();
}

#[test]
fn a_503_problem_says_when_to_retry() {
    use axum::response::IntoResponse;
    let response = Problem::unavailable("postgres down", 3).into_response();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "3");
}
