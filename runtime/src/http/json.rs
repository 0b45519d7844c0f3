//! A JSON body extractor whose every rejection is a problem+json answer.

use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
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
