//! Subjects and their versions: registering, looking up and reading schemas.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::compatibility::reasons;
use crate::registry::error::RegistryError;
use crate::registry::store::{Store, SubjectVersion};
use crate::registry::wire::{self, Candidate, Params, VersionRef, ok};

/// `GET /subjects` → `["subject", ...]`.
pub(super) async fn list(State(store): State<Store>) -> Result<Response, RegistryError> {
    Ok(ok(&store.subjects().await?))
}

/// `GET /subjects/{subject}/versions` → `[1, 2, ...]`.
pub(super) async fn versions(
    State(store): State<Store>,
    Params(subject): Params<String>,
) -> Result<Response, RegistryError> {
    let versions = store.versions(&subject).await?;
    if versions.is_empty() {
        return Err(RegistryError::SubjectNotFound(subject));
    }
    Ok(ok(&versions))
}

/// `GET /subjects/{subject}/versions/{version}` → `{"subject", "version", "id", "schema"}`.
pub(super) async fn version(
    State(store): State<Store>,
    Params((subject, version)): Params<(String, String)>,
) -> Result<Response, RegistryError> {
    Ok(ok(&resolve(&store, subject, &version).await?))
}

/// `GET /subjects/{subject}/versions/{version}/schema` → the schema itself.
pub(super) async fn raw_schema(
    State(store): State<Store>,
    Params((subject, version)): Params<(String, String)>,
) -> Result<Response, RegistryError> {
    let found = resolve(&store, subject, &version).await?;
    Ok(([(header::CONTENT_TYPE, wire::CONTENT_TYPE)], found.schema).into_response())
}

/// `POST /subjects/{subject}`: which version of the subject holds this schema.
pub(super) async fn lookup(
    State(store): State<Store>,
    Params(subject): Params<String>,
    body: Bytes,
) -> Result<Response, RegistryError> {
    let candidate = Candidate::from_body(&body)?;
    match store.find(&subject, &candidate).await? {
        Some(found) => Ok(ok(&found)),
        None if store.versions(&subject).await?.is_empty() => {
            Err(RegistryError::SubjectNotFound(subject))
        }
        None => Err(RegistryError::SchemaNotFound),
    }
}

/// `POST /subjects/{subject}/versions` → `{"id": N}`: the id of the schema, registered as the
/// subject's next version unless it holds it already and if the subject's level allows it.
pub(super) async fn register(
    State(store): State<Store>,
    Params(subject): Params<String>,
    body: Bytes,
) -> Result<Response, RegistryError> {
    let candidate = Candidate::from_body(&body)?;
    let id = store
        .register(&subject, &candidate, |level, history| {
            let reasons = reasons(level, &candidate.schema, history)?;
            if reasons.is_empty() {
                Ok(())
            } else {
                Err(RegistryError::Incompatible {
                    subject: subject.clone(),
                    reasons,
                })
            }
        })
        .await?;
    Ok(ok(&json!({ "id": id })))
}

async fn resolve(
    store: &Store,
    subject: String,
    version: &str,
) -> Result<SubjectVersion, RegistryError> {
    match store.version(&subject, VersionRef::parse(version)?).await? {
        Some(found) => Ok(found),
        None if store.versions(&subject).await?.is_empty() => {
            Err(RegistryError::SubjectNotFound(subject))
        }
        None => Err(RegistryError::VersionNotFound(version.to_owned())),
    }
}
