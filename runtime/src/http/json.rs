//! Extractors whose every rejection is a problem+json answer: JSON bodies, query strings, path
//! parameters.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

use super::Problem;

/// Like `axum::Json`, but malformed, mistyped, oversized or non-JSON bodies answer with a
/// problem+json 4xx instead of plain text.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct Json<T>(pub T);

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        let detail = rejection.body_text();
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected a body with content-type application/json",
            ),
            JsonRejection::JsonSyntaxError(_) => Problem::bad_request("malformed_json", detail),
            JsonRejection::JsonDataError(_) => Problem::unprocessable("invalid_body", detail),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            ),
            other => Problem::new(other.status(), "bad_body", detail),
        }
    }
}

/// Like `axum::extract::Query`, with a problem+json 400 for a malformed query string.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct Query<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for Problem {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Problem::bad_request("invalid_query", rejection.body_text())
    }
}

/// Like `axum::extract::Path`, with a problem+json 400 for a malformed path parameter.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct Path<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for Problem {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        Problem::bad_request("invalid_path", rejection.body_text())
    }
}
