//! Compatibility checks without registering: can this schema join the subject?

use apache_avro::Schema;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use crate::registry::compat::{self, Level, Version};
use crate::registry::error::RegistryError;
use crate::registry::store::{Store, SubjectVersion};
use crate::registry::wire::{Candidate, Params, VersionRef, ok};

/// `POST /compatibility/subjects/{subject}/versions`: against what the subject's level
/// requires (the latest version, or every version for the transitive levels).
pub(super) async fn against_level(
    State(store): State<Store>,
    Params(subject): Params<String>,
    body: Bytes,
) -> Result<Response, RegistryError> {
    let candidate = Candidate::from_body(&body)?;
    let level = store.effective_level(&subject).await?;
    let history = store.history(&subject).await?;
    Ok(verdict(reasons(level, &candidate.schema, &history)?))
}

/// `POST /compatibility/subjects/{subject}/versions/{version}`: against that one version, in
/// the direction(s) the subject's level requires. `latest` of an empty subject accepts anything.
pub(super) async fn against_version(
    State(store): State<Store>,
    Params((subject, version)): Params<(String, String)>,
    body: Bytes,
) -> Result<Response, RegistryError> {
    let selected = VersionRef::parse(&version)?;
    let candidate = Candidate::from_body(&body)?;
    let level = store.effective_level(&subject).await?;
    let reasons = match store.version(&subject, selected).await? {
        Some(found) => compat::incompatibilities(level, &candidate.schema, &parse(&found)?),
        None if selected == VersionRef::Latest => Vec::new(),
        None => return Err(RegistryError::VersionNotFound(version)),
    };
    Ok(verdict(reasons))
}

/// Why `candidate` may not follow `history` (oldest first) under `level`; empty when it may.
pub(super) fn reasons(
    level: Level,
    candidate: &Schema,
    history: &[SubjectVersion],
) -> Result<Vec<String>, RegistryError> {
    let history = history.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
    Ok(compat::check(level, candidate, &history))
}

fn parse(stored: &SubjectVersion) -> Result<Version, RegistryError> {
    let schema = Schema::parse_str(&stored.schema).map_err(|e| {
        RegistryError::Corrupt(format!(
            "{} version {} (id {}): {e}",
            stored.subject, stored.version, stored.id
        ))
    })?;
    Ok(Version {
        number: stored.version,
        schema,
    })
}

fn verdict(reasons: Vec<String>) -> Response {
    if reasons.is_empty() {
        ok(&json!({ "is_compatible": true }))
    } else {
        ok(&json!({ "is_compatible": false, "messages": reasons }))
    }
}
