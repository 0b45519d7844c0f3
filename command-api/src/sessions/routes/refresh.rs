//! `POST /v1/auth/refresh`: spends a refresh token for a new pair. Presenting a spent one
//! again revokes the whole session (`REFRESH_TOKEN_REUSE`) and answers 401.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Actor;
use events::sessions::SessionEvent;
use runtime::http::Json;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;

use super::AppState;
use super::login::{Grant, TokenResponse, tokens};
use crate::auth::throttle::{Limit, address_subject};
use crate::http::{ApiError, RequestContext};
use crate::sessions::{Command, Refresh, Rejected, SessionError, client, execute};
use access::refresh::RefreshToken;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    pub refresh_token: SecretString,
}

#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the presented refresh token is spent", body = TokenResponse),
        (status = 401, description = "Unknown, spent or expired refresh token; a spent one revokes its session"),
        (status = 429, description = "Too many refreshes from the address (`rate_limited`); see Retry-After"),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    context: RequestContext,
    Json(request): Json<RefreshRequest>,
) -> Result<JsonResponse<TokenResponse>, ApiError> {
    take_refresh_bucket(&state, &context).await?;
    let presented = RefreshToken::parse(request.refresh_token.expose_secret())
        .map_err(|_| ApiError::InvalidRefreshToken)?;
    let credential = match state
        .login
        .credentials
        .find_by_id(presented.principal_id)
        .await?
    {
        Some(c) if !c.disabled => c,
        _ => return Err(ApiError::InvalidRefreshToken),
    };
    let next = RefreshToken::generate(
        presented.principal_type,
        presented.principal_id,
        presented.session_id,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let client = client::recorded(
        &state.sessions,
        presented.principal_type,
        presented.principal_id,
        context.client(),
    )
    .await?;
    let command = Command::Refresh(Refresh {
        session_id: presented.session_id,
        presented_hash: presented.hash(),
        new_hash: next.hash(),
        grace: state.sessions.policy.refresh_grace,
        user_agent: client.user_agent,
        ip: client.ip,
    });
    let actor = Actor::principal(presented.principal_type, presented.principal_id);
    let outcome = match execute(
        &state.sessions,
        presented.principal_id,
        command,
        context.metadata(Some(actor)),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(Rejected::Domain(
            SessionError::NotFound | SessionError::NotActive | SessionError::UnknownRefreshToken,
        )) => return Err(ApiError::InvalidRefreshToken),
        Err(other) => return Err(other.into()),
    };
    if outcome
        .events
        .iter()
        .any(|e| matches!(e, SessionEvent::RefreshTokenReuseDetected(_)))
    {
        tracing::warn!(session_id = %presented.session_id, "refresh token reuse: session revoked");
        return Err(ApiError::InvalidRefreshToken);
    }
    let session_ends_at = outcome
        .state
        .get(presented.session_id)
        .map_or(outcome.now, |s| s.ends_at());
    let grant = Grant {
        principal_id: credential.principal_id,
        principal_type: credential.principal_type,
        permissions: credential.permissions,
        session_id: presented.session_id,
        session_ends_at,
    };
    Ok(JsonResponse(tokens(&state, grant, &next, &outcome)?))
}

/// Takes one request from the client address's refresh bucket (a refresh, or a revocation by
/// refresh token: each reads the event store).
pub(super) async fn take_refresh_bucket(
    state: &AppState,
    context: &RequestContext,
) -> Result<(), ApiError> {
    if let Some(address) = address_subject(context.ip.as_deref()) {
        state
            .login
            .throttle
            .take(Limit::RefreshPerAddress, &address)
            .await?;
    }
    Ok(())
}
