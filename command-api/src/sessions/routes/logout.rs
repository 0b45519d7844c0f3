//! `POST /v1/auth/logout`: ends the caller's session, reason `USER_LOGOUT`.

use axum::extract::State;
use axum::http::StatusCode;
use events::Actor;
use events::sessions::RevocationReason;

use super::AppState;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::sessions::{Authority, Command, Rejected, Revoke, SessionError, client, execute};

#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Session revoked"),
        (status = 401, description = "No valid token, or its session has ended already"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    context: RequestContext,
    Bearer(claims): Bearer,
) -> Result<StatusCode, ApiError> {
    let actor = Actor::principal(claims.principal_type, claims.sub);
    let client = client::recorded(
        &state.sessions,
        claims.principal_type,
        claims.sub,
        context.client(),
    )
    .await?;
    let command = Command::Revoke(Revoke {
        session_id: claims.sid,
        reason: RevocationReason::UserLogout,
        metadata: client.into_metadata(),
        actor: actor.clone(),
        authority: Authority::Owner,
    });
    match execute(
        &state.sessions,
        claims.sub,
        command,
        context.metadata(Some(actor)),
    )
    .await
    {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(Rejected::Domain(SessionError::NotFound | SessionError::NotActive)) => {
            Err(ApiError::Unauthenticated)
        }
        Err(other) => Err(other.into()),
    }
}
