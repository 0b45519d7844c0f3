//! What a read can fail with, and the one place its answers are chosen: each failure becomes a
//! problem+json response here, nowhere else. Storage ports return storage errors; this maps
//! them.

use access::keys::KeysUnavailable;
use axum::response::{IntoResponse, Response};
use runtime::http::Problem;
use store::event_store::StoreError;
use store::session_cache::CacheError;

/// Seconds a client should wait before retrying a read that failed on a dependency.
const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A query parameter is malformed; `code` names which rule it broke.
    #[error("{detail}")]
    Invalid { code: &'static str, detail: String },
    /// A dependency (Postgres, Redis) could not be reached; retrying can help.
    #[error("a dependency is unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back.
    #[error("{0}")]
    Internal(String),
}

impl QueryError {
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Self::Unavailable(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<CacheError> for QueryError {
    fn from(e: CacheError) -> Self {
        if e.is_transient() {
            Self::Unavailable(e.to_string())
        } else {
            Self::Internal(e.to_string())
        }
    }
}

impl From<KeysUnavailable> for QueryError {
    fn from(e: KeysUnavailable) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<QueryError> for Problem {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::Invalid { code, detail } => Problem::unprocessable(code, detail),
            QueryError::Unavailable(cause) => Problem::unavailable(cause, RETRY_AFTER_SECS),
            QueryError::Internal(cause) => Problem::internal(cause),
        }
    }
}

impl IntoResponse for QueryError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
