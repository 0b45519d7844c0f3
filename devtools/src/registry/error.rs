//! What the registry answers when a request fails, in Confluent's shape: an HTTP status and a
//! body `{"error_code": <int>, "message": "..."}`, which the Confluent clients parse and
//! surface (written by [`super::wire`]). Each variant documents its status and error code.

use axum::http::StatusCode;

use super::compat::UnknownLevel;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// 404, 40401: the subject has no versions.
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    /// 404, 40402.
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    /// 404, 40403: no schema with that id, or the subject has no version with that schema.
    #[error("Schema not found")]
    SchemaNotFound,
    /// 404, 40408.
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    NoSubjectLevel(String),
    /// 409, 409: registering would break the subject's compatibility level. Confluent's
    /// clients have long seen the plain HTTP status as error code here, so it is kept.
    #[error(
        "Schema being registered is incompatible with an earlier schema for subject \
         '{subject}': {}", reasons.join("; ")
    )]
    Incompatible {
        subject: String,
        reasons: Vec<String>,
    },
    /// 422, 42201: the schema cannot be parsed, or is of a kind this registry does not keep.
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    /// 422, 42201: the body is not the JSON object the endpoint expects.
    #[error("Invalid request body: {0}")]
    MalformedBody(String),
    /// 422, 42202.
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between \
         [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    /// 422, 42203.
    #[error(transparent)]
    InvalidLevel(#[from] UnknownLevel),
    /// 400, 400: a path segment that cannot be decoded.
    #[error("Invalid request path: {0}")]
    BadPath(String),
    /// 404, 404: no such endpoint.
    #[error("HTTP 404 Not Found")]
    NoRoute,
    /// 405, 405.
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    /// 500, 50001: the database failed; the cause is logged, never returned.
    #[error("Error in the backend data store")]
    Store(#[from] sqlx::Error),
    /// 500, 50001: a stored schema no longer parses; the cause is logged, never returned.
    #[error("Error in the backend data store")]
    Corrupt(String),
}

impl RegistryError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::SubjectNotFound(_)
            | Self::VersionNotFound(_)
            | Self::SchemaNotFound
            | Self::NoSubjectLevel(_)
            | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::Incompatible { .. } => StatusCode::CONFLICT,
            Self::InvalidSchema(_)
            | Self::MalformedBody(_)
            | Self::InvalidVersion(_)
            | Self::InvalidLevel(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadPath(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Store(_) | Self::Corrupt(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn error_code(&self) -> u32 {
        match self {
            Self::SubjectNotFound(_) => 40401,
            Self::VersionNotFound(_) => 40402,
            Self::SchemaNotFound => 40403,
            Self::NoSubjectLevel(_) => 40408,
            Self::Incompatible { .. } => 409,
            Self::InvalidSchema(_) | Self::MalformedBody(_) => 42201,
            Self::InvalidVersion(_) => 42202,
            Self::InvalidLevel(_) => 42203,
            Self::BadPath(_) => 400,
            Self::NoRoute => 404,
            Self::MethodNotAllowed => 405,
            Self::Store(_) | Self::Corrupt(_) => 50001,
        }
    }
}
