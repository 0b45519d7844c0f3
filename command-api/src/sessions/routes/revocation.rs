//! `POST /v1/tokens/revoke` (RFC 7009): whoever holds a token may end its session, reason
//! `USER_LOGOUT`, as a logout would: a refresh token (only the session's current one: a
//! guessed or spent one ends nothing) or an access token (verified like a bearer token). The
//! body is a form of `token` and `token_type_hint`; the two kinds look nothing alike, so the
//! hint changes nothing. Every token, ours or not, valid or not, answers 200 (§2.2).

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use events::PrincipalType;
use events::topics::Category;
use runtime::http::Problem;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::logout::end_session;
use super::refresh::take_refresh_bucket;
use crate::http::{ApiError, RequestContext};
use crate::sessions::{Rejected, SessionError, load};
use access::TokenError;
use access::refresh::RefreshToken;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevocationRequest {
    /// A refresh token or an access token of this platform.
    #[schema(value_type = String)]
    pub token: SecretString,
    /// `refresh_token` or `access_token` (RFC 7009 §2.1); accepted, not needed.
    pub token_type_hint: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/tokens/revoke",
    request_body(content = RevocationRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The token's session has ended, or the token was none of ours to end"),
        (status = 400, description = "Not a form (invalid_body)"),
        (status = 422, description = "No token in the form (invalid_body)"),
        (status = 429, description = "Too many refresh-token revocations from the address (rate_limited); see Retry-After"),
        (status = 503, description = "The event store or the signing keys are unavailable; nothing ended"),
    )
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    context: RequestContext,
    form: Result<Form<RevocationRequest>, FormRejection>,
) -> Response {
    let request = match form {
        Ok(Form(request)) => request,
        Err(e) => return Problem::new(e.status(), "invalid_body", e.body_text()).into_response(),
    };
    match revoke(&state, &context, &request).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn revoke(
    state: &AppState,
    context: &RequestContext,
    request: &RevocationRequest,
) -> Result<(), ApiError> {
    let token = request.token.expose_secret();
    let session = match RefreshToken::parse(token) {
        Ok(presented) => current_refresh(state, context, &presented).await?,
        Err(_) => match state.verifier.verify(token).await {
            Ok(claims) => Some((claims.principal_type, claims.sub, claims.sid)),
            Err(TokenError::Keys(e)) => return Err(ApiError::Unavailable(e.to_string())),
            Err(_) => None,
        },
    };
    let Some((principal_type, principal_id, session_id)) = session else {
        return Ok(());
    };
    match end_session(state, context, principal_type, principal_id, session_id).await {
        Ok(()) | Err(Rejected::Domain(SessionError::NotFound | SessionError::NotActive)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

/// The session `presented` rotates, if it is that session's current refresh token. Each try
/// takes from the address's refresh bucket: it reads the event store.
async fn current_refresh(
    state: &AppState,
    context: &RequestContext,
    presented: &RefreshToken,
) -> Result<Option<(PrincipalType, Uuid, Uuid)>, ApiError> {
    take_refresh_bucket(state, context).await?;
    let stream = Category::Sessions.stream_id(presented.principal_id);
    let (sessions, _) = load(&state.sessions, &stream).await?;
    let current = sessions
        .get(presented.session_id)
        .is_some_and(|s| s.refresh_token_hash == presented.hash());
    Ok(current.then_some((
        presented.principal_type,
        presented.principal_id,
        presented.session_id,
    )))
}
