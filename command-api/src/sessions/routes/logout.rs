//! `POST /v1/auth/logout`: ends the caller's session, reason `USER_LOGOUT`.

use axum::extract::State;
use axum::http::StatusCode;
use events::sessions::RevocationReason;
use events::{Actor, PrincipalType};

use super::AppState;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::sessions::{Authority, Command, Rejected, Revoke, SessionError, client, execute};
use uuid::Uuid;

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
    let (principal_type, principal_id) = (claims.principal_type, claims.sub);
    match end_session(&state, &context, principal_type, principal_id, claims.sid).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(Rejected::Domain(SessionError::NotFound | SessionError::NotActive)) => {
            Err(ApiError::Unauthenticated)
        }
        Err(other) => Err(other.into()),
    }
}

/// Ends session `session_id` of the principal as the principal itself, reason `USER_LOGOUT`,
/// with the client it was ended from.
pub(super) async fn end_session(
    state: &AppState,
    context: &RequestContext,
    principal_type: PrincipalType,
    principal_id: Uuid,
    session_id: Uuid,
) -> Result<(), Rejected> {
    let actor = Actor::principal(principal_type, principal_id);
    let client = client::recorded(
        &state.sessions,
        principal_type,
        principal_id,
        context.client(),
    )
    .await?;
    let command = Command::Revoke(Revoke {
        session_id,
        reason: RevocationReason::UserLogout,
        metadata: client.into_metadata(),
        actor: actor.clone(),
        authority: Authority::Owner,
    });
    let metadata = context.metadata(Some(actor));
    execute(&state.sessions, principal_id, command, metadata)
        .await
        .map(drop)
}
