//! The command API's errors, each with its status and stable `code`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use runtime::http::Problem;

use store::event_store::StoreError;

use crate::auth::throttle::Throttled;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 `invalid_credentials`: the same answer for an unknown login and a wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 401 `unauthorized`: no bearer token, or one that is invalid, expired or revoked.
    #[error("authentication required")]
    Unauthenticated,
    /// 401 `invalid_refresh_token`: malformed, unknown, spent, or of an ended session.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// 403 `forbidden`: authenticated, but without the permission or ownership required.
    #[error("forbidden")]
    Forbidden,
    /// 429 `locked`: too many failed logins; retry after the given seconds.
    #[error("locked")]
    Locked { retry_after_secs: u64 },
    /// 429 `rate_limited` with `Retry-After`: too many requests from one address or on one
    /// account.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 404 `not_found`.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409 with the given code: the resource is not in a state that allows the command.
    #[error("{detail}")]
    State { code: &'static str, detail: String },
    /// 422 `invalid_request`: the body is well-formed JSON but breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// 422 `invalid_field`: one field breaks its rule; the answer names it.
    #[error("{field}: {detail}")]
    InvalidField { field: &'static str, detail: String },
    /// 409 `conflict`: concurrent writers kept winning; the client may retry.
    #[error("concurrent modification")]
    Conflict,
    /// 503 `unavailable`: a dependency is down; nothing was written.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500 `internal`: a defect; the cause is logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Throttled> for ApiError {
    fn from(throttled: Throttled) -> Self {
        let millis = throttled.retry_after.as_millis();
        Self::RateLimited {
            retry_after_secs: u64::try_from(millis.div_ceil(1000).max(1)).unwrap_or(u64::MAX),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => Self::Conflict,
            StoreError::Missing(what) => Self::NotFound(what),
            StoreError::Unavailable(cause) => Self::Unavailable(cause.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the login or the password is wrong",
            )
            .into_response(),
            Self::Unauthenticated => {
                let mut response = Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "a valid bearer token of an active session is required",
                )
                .into_response();
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            Self::InvalidRefreshToken => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_refresh_token",
                "the refresh token is not valid for an active session",
            )
            .into_response(),
            Self::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this needs a permission or ownership the caller does not have",
            )
            .into_response(),
            Self::Locked { retry_after_secs } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                "too many failed logins; retry later",
            )
            .with_retry_after(retry_after_secs)
            .into_response(),
            Self::RateLimited { retry_after_secs } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            )
            .with_retry_after(retry_after_secs)
            .into_response(),
            Self::NotFound(what) => Problem::not_found(format!("no such {what}")).into_response(),
            Self::State { code, detail } => {
                Problem::new(StatusCode::CONFLICT, code, detail).into_response()
            }
            Self::Invalid(detail) => {
                Problem::unprocessable("invalid_request", detail).into_response()
            }
            Self::InvalidField { field, detail } => {
                Problem::invalid_field(field, detail).into_response()
            }
            Self::Conflict => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "the resource was modified concurrently; retry",
            )
            .into_response(),
            Self::Unavailable(cause) => Problem::unavailable(cause, 1).into_response(),
            Self::Internal(cause) => Problem::internal(cause).into_response(),
        }
    }
}
