//! The HTTP routes: the subset of Confluent's REST API that the Confluent serializers and
//! `schema_registry_converter` call, plus `/healthz` for scripts waiting on the registry.

mod compatibility;
mod config;
mod schemas;
mod subjects;

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::error::RegistryError;
use super::store::Store;
use super::wire::ok;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(healthz))
        .route("/schemas/ids/{id}", get(schemas::by_id))
        .route("/schemas/types", get(schemas::types))
        .route("/subjects", get(subjects::list))
        .route("/subjects/{subject}", post(subjects::lookup))
        .route(
            "/subjects/{subject}/versions",
            get(subjects::versions).post(subjects::register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(subjects::version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(subjects::raw_schema),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(compatibility::against_level),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(compatibility::against_version),
        )
        .route("/config", get(config::global).put(config::set_global))
        .route(
            "/config/{subject}",
            get(config::subject)
                .put(config::set_subject)
                .delete(config::delete_subject),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(store)
}

/// Confluent answers its root with an empty object; some clients probe it.
async fn root() -> Response {
    ok(&json!({}))
}

async fn healthz() -> Response {
    ok(&json!({ "status": "ok" }))
}

async fn no_route() -> RegistryError {
    RegistryError::NoRoute
}

async fn method_not_allowed() -> RegistryError {
    RegistryError::MethodNotAllowed
}
