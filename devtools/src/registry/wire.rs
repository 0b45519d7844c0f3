//! The registry's HTTP dialect: request bodies read from raw bytes whatever their content type
//! (Confluent clients send `application/vnd.schemaregistry.v1+json`, curl users often nothing),
//! path parameters that fail in Confluent's error shape, and replies in Confluent's media type.

use apache_avro::Schema;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::compat::Level;
use super::error::RegistryError;

/// The media type of every answer.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

pub fn reply(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], bytes).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reply not serializable");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        match &self {
            Self::Store(cause) => tracing::error!(error = %cause, "registry store failed"),
            Self::Corrupt(cause) => tracing::error!(error = %cause, "stored schema unreadable"),
            _ => {}
        }
        let body =
            serde_json::json!({ "error_code": self.error_code(), "message": self.to_string() });
        reply(self.status(), &body)
    }
}

pub fn ok(body: &impl serde::Serialize) -> Response {
    reply(StatusCode::OK, body)
}

/// Path parameters whose rejection is a Confluent-shaped error instead of axum's plain text.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = RegistryError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|rejection| RegistryError::BadPath(rejection.body_text()))
    }
}

/// A version named in a path: a number, or `latest` (also spelled `-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRef {
    Latest,
    Number(i32),
}

impl VersionRef {
    pub fn parse(text: &str) -> Result<Self, RegistryError> {
        match text {
            "latest" | "-1" => Ok(Self::Latest),
            _ => match text.parse::<i32>() {
                Ok(n) if n > 0 => Ok(Self::Number(n)),
                _ => Err(RegistryError::InvalidVersion(text.to_owned())),
            },
        }
    }
}

/// The body posted to register, look up and check a schema. `metadata` and `ruleSet` are
/// accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody {
    schema: Option<String>,
    schema_type: Option<String>,
    references: Option<Vec<serde_json::Value>>,
}

/// A schema from a request, validated and normalized.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// As posted; what the registry answers with later.
    pub text: String,
    /// Parsed and re-serialized: the identity of the schema. Unlike the Parsing Canonical Form
    /// it keeps defaults and docs, so schemas differing only in a default stay distinct.
    pub normalized: String,
    pub schema: Schema,
}

impl Candidate {
    pub fn from_body(body: &[u8]) -> Result<Self, RegistryError> {
        let body: SchemaBody = parse_json(body)?;
        match body.schema_type.as_deref() {
            None => {}
            Some(t) if t.eq_ignore_ascii_case("AVRO") => {}
            Some(other) => {
                return Err(RegistryError::InvalidSchema(format!(
                    "schemaType {other:?} is not supported: this development registry keeps \
                     AVRO schemas only"
                )));
            }
        }
        if body.references.is_some_and(|r| !r.is_empty()) {
            return Err(RegistryError::InvalidSchema(
                "schema references are not supported by this development registry; inline \
                 the referenced types instead"
                    .to_owned(),
            ));
        }
        let text = body
            .schema
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                RegistryError::InvalidSchema("the field \"schema\" is empty or missing".into())
            })?;
        let schema =
            Schema::parse_str(&text).map_err(|e| RegistryError::InvalidSchema(e.to_string()))?;
        let normalized = serde_json::to_string(&schema)
            .map_err(|e| RegistryError::InvalidSchema(e.to_string()))?;
        Ok(Self {
            text,
            normalized,
            schema,
        })
    }
}

/// The body of `PUT /config` and `PUT /config/{subject}`.
pub fn level_from_body(body: &[u8]) -> Result<Level, RegistryError> {
    #[derive(Deserialize)]
    struct ConfigBody {
        compatibility: Option<String>,
    }
    let body: ConfigBody = parse_json(body)?;
    let name = body.compatibility.unwrap_or_default();
    Ok(name.parse()?)
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, RegistryError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_data() {
            "is not the expected JSON object"
        } else {
            "is not valid JSON"
        };
        RegistryError::MalformedBody(format!("the request body {what}: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_positive_numbers_or_latest() {
        assert_eq!(VersionRef::parse("3").ok(), Some(VersionRef::Number(3)));
        assert_eq!(VersionRef::parse("latest").ok(), Some(VersionRef::Latest));
        assert_eq!(VersionRef::parse("-1").ok(), Some(VersionRef::Latest));
        for bad in ["0", "-2", "x", "99999999999"] {
            assert!(VersionRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn whitespace_does_not_change_the_normalized_form_but_defaults_do() {
        let a = br#"{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":1}]}"}"#;
        let b = br#"{"schema":"{ \"type\": \"record\", \"name\": \"R\", \"fields\": [ {\"name\":\"a\", \"type\":\"int\", \"default\":1} ] }"}"#;
        let c = br#"{"schema":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":2}]}"}"#;
        let norm = |body: &[u8]| Candidate::from_body(body).map(|c| c.normalized).ok();
        assert!(norm(a).is_some());
        assert_eq!(norm(a), norm(b));
        assert_ne!(norm(a), norm(c));
    }

    #[test]
    fn other_schema_types_and_references_are_refused() {
        let protobuf = br#"{"schema":"syntax = \"proto3\";","schemaType":"PROTOBUF"}"#;
        let referencing =
            br#"{"schema":"\"string\"","references":[{"name":"x","subject":"s","version":1}]}"#;
        for body in [&protobuf[..], &referencing[..]] {
            let err = Candidate::from_body(body).err();
            assert_eq!(err.map(|e| e.error_code()), Some(42201));
        }
    }

    #[test]
    fn malformed_bodies_are_refused_with_a_clear_message() {
        for body in [&b""[..], b"{", b"[]", br#"{"schema": 5}"#] {
            let err = Candidate::from_body(body).err().map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|m| m.starts_with("Invalid request body")),
                "{err:?}"
            );
        }
    }
}
