//! Every admin route of the users and roles issue gets its server's span, named by method and
//! route template. Its own test binary: it installs the process's tracing subscriber, with the
//! SDK's in-memory exporter to read the spans back.

#[path = "platform/support.rs"]
#[allow(
    dead_code,
    reason = "the platform tests' support; this test needs only part of it"
)]
mod support;

use std::collections::BTreeSet;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use reqwest::Method;
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use uuid::Uuid;

use support::{Platform, access};

/// (server is query-api, method, template, path with the ids filled in).
fn routes(id: Uuid) -> Vec<(bool, Method, &'static str, String)> {
    let command = |method, template: &'static str| {
        let path = template
            .replace("{id}", &id.to_string())
            .replace("{role_id}", &id.to_string())
            .replace("{permission}", "audit:read");
        (false, method, template, path)
    };
    let query = |template: &'static str| {
        let path = template
            .replace("{user_id}", &id.to_string())
            .replace("{role_id}", &id.to_string());
        (true, Method::GET, template, path)
    };
    vec![
        command(Method::POST, "/v1/users"),
        command(Method::PATCH, "/v1/users/{id}"),
        command(Method::POST, "/v1/users/{id}/disable"),
        command(Method::POST, "/v1/users/{id}/enable"),
        command(Method::POST, "/v1/users/{id}/password"),
        command(Method::POST, "/v1/users/{id}/roles"),
        command(Method::DELETE, "/v1/users/{id}/roles/{role_id}"),
        command(Method::POST, "/v1/roles"),
        command(Method::PATCH, "/v1/roles/{id}"),
        command(Method::POST, "/v1/roles/{id}/permissions"),
        command(Method::DELETE, "/v1/roles/{id}/permissions/{permission}"),
        command(Method::DELETE, "/v1/roles/{id}"),
        query("/v1/users"),
        query("/v1/users/{user_id}"),
        query("/v1/roles"),
        query("/v1/roles/{role_id}"),
        query("/v1/audit/events"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_users_and_roles_route_has_a_span_named_by_its_template() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    tracing_subscriber::registry()
        .with(runtime::telemetry::trace_layer(provider.tracer("routes")))
        .try_init()
        .expect("this binary's only subscriber");

    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let token = access(&admin);
    let routes = routes(Uuid::now_v7());
    for (query, method, _, path) in &routes {
        let base = if *query {
            &platform.query
        } else {
            &platform.command
        };
        // Whatever the answer (an unknown id is fine): the span is what is checked.
        platform
            .http
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .expect("answers");
    }

    let seen: BTreeSet<(String, String)> = exporter
        .get_finished_spans()
        .expect("spans")
        .iter()
        .filter(|span| span.name == "http request")
        .filter_map(|span| {
            let attribute = |key: &str| {
                span.attributes
                    .iter()
                    .find(|a| a.key.as_str() == key)
                    .map(|a| a.value.to_string())
            };
            Some((attribute("http.request.method")?, attribute("http.route")?))
        })
        .collect();
    let missing: Vec<String> = routes
        .iter()
        .map(|(_, method, template, _)| (method.to_string(), (*template).to_owned()))
        .filter(|route| !seen.contains(route))
        .map(|(method, template)| format!("{method} {template}"))
        .collect();
    assert!(missing.is_empty(), "no span for {missing:?}; seen {seen:?}");
}
