//! Compatibility levels, registry-wide and per subject.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::json;

use crate::registry::compat::Level;
use crate::registry::error::RegistryError;
use crate::registry::store::Store;
use crate::registry::wire::{Params, level_from_body, ok};

/// `GET /config` → `{"compatibilityLevel": "..."}`.
pub(super) async fn global(State(store): State<Store>) -> Result<Response, RegistryError> {
    Ok(level_reply(store.global_level().await?))
}

/// `PUT /config` with `{"compatibility": "..."}`, answered with the same object.
pub(super) async fn set_global(
    State(store): State<Store>,
    body: Bytes,
) -> Result<Response, RegistryError> {
    let level = level_from_body(&body)?;
    store.set_global_level(level).await?;
    Ok(ok(&json!({ "compatibility": level.as_str() })))
}

/// `GET /config/{subject}`: the subject's own level; the global one only when asked with
/// `?defaultToGlobal=true`, as Confluent does.
pub(super) async fn subject(
    State(store): State<Store>,
    Params(subject): Params<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, RegistryError> {
    match store.subject_level(&subject).await? {
        Some(level) => Ok(level_reply(level)),
        None if default_to_global(query.as_deref()) => Ok(level_reply(store.global_level().await?)),
        None => Err(RegistryError::NoSubjectLevel(subject)),
    }
}

/// `PUT /config/{subject}` with `{"compatibility": "..."}`, answered with the same object.
pub(super) async fn set_subject(
    State(store): State<Store>,
    Params(subject): Params<String>,
    body: Bytes,
) -> Result<Response, RegistryError> {
    let level = level_from_body(&body)?;
    store.set_subject_level(&subject, level).await?;
    Ok(ok(&json!({ "compatibility": level.as_str() })))
}

/// `DELETE /config/{subject}`: back to the global level; answers with the level removed.
pub(super) async fn delete_subject(
    State(store): State<Store>,
    Params(subject): Params<String>,
) -> Result<Response, RegistryError> {
    match store.delete_subject_level(&subject).await? {
        Some(level) => Ok(level_reply(level)),
        None => Err(RegistryError::NoSubjectLevel(subject)),
    }
}

fn level_reply(level: Level) -> Response {
    ok(&json!({ "compatibilityLevel": level.as_str() }))
}

fn default_to_global(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .any(|pair| pair.eq_ignore_ascii_case("defaultToGlobal=true"))
    })
}
