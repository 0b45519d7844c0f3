//! Revocation by the owner or by a holder of `sessions:revoke`, with a reason from the closed
//! set and bounded metadata: `POST /v1/sessions/{id}/revoke` and
//! `POST /v1/principals/{id}/sessions/revoke-all`.

use std::collections::BTreeMap;

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{DateTime, Utc};
use events::sessions::{RevocationReason, SessionEvent};
use events::{Actor, Permission};
use runtime::http::{Json, Path};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::sessions::{Authority, Command, Revoke, RevokeAll, Scope, execute};
use access::AccessClaims;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeRequest {
    /// One of USER_LOGOUT, ADMIN_REVOKE (needs `sessions:revoke`), SECURITY_ALERT.
    pub reason: String,
    /// Free-form context, string to string; at most 16 entries.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub session_id: Uuid,
    pub reason: String,
    pub revoked_at: DateTime<Utc>,
    /// The principal's sessions stream version after the revocation.
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedAll {
    pub revoked_session_ids: Vec<Uuid>,
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/v1/sessions/{session_id}/revoke",
    security(("bearer" = [])),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "Session revoked", body = Revoked),
        (status = 404, description = "No such session, or one the caller neither owns nor holds sessions:revoke for"),
        (status = 409, description = "The session has ended already"),
        (status = 422, description = "Unknown or disallowed reason, or oversized metadata"),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(session_id): Path<Uuid>,
    Json(request): Json<RevokeRequest>,
) -> Result<JsonResponse<Revoked>, ApiError> {
    let claims = super::require_session(&state.sessions, claims).await?;
    let reason = parse_reason(&request.reason)?;
    let principal = state
        .directory
        .principal_of(session_id)
        .await?
        .ok_or(ApiError::NotFound("session"))?;
    let authority = authority(&claims, principal, "session")?;
    let actor = Actor::principal(claims.principal_type, claims.sub);
    let command = Command::Revoke(Revoke {
        session_id,
        reason,
        metadata: request.metadata,
        actor: actor.clone(),
        authority,
    });
    let outcome = execute(
        &state.sessions,
        principal,
        command,
        context.metadata(Some(actor)),
    )
    .await?;
    Ok(JsonResponse(Revoked {
        session_id,
        reason: reason.as_str().to_owned(),
        revoked_at: outcome.now,
        version: outcome.version,
    }))
}

#[utoipa::path(
    post,
    path = "/v1/principals/{principal_id}/sessions/revoke-all",
    security(("bearer" = [])),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "Every active session revoked", body = RevokedAll),
        (status = 404, description = "Neither the owner nor a holder of sessions:revoke"),
        (status = 422, description = "Unknown or disallowed reason, or oversized metadata"),
    )
)]
pub async fn revoke_all(
    State(state): State<AppState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(principal_id): Path<Uuid>,
    Json(request): Json<RevokeRequest>,
) -> Result<JsonResponse<RevokedAll>, ApiError> {
    let claims = super::require_session(&state.sessions, claims).await?;
    let reason = parse_reason(&request.reason)?;
    let authority = authority(&claims, principal_id, "principal")?;
    let actor = Actor::principal(claims.principal_type, claims.sub);
    let command = Command::RevokeAll(RevokeAll {
        reason,
        metadata: request.metadata,
        actor: actor.clone(),
        authority,
        scope: Scope::All,
    });
    let outcome = execute(
        &state.sessions,
        principal_id,
        command,
        context.metadata(Some(actor)),
    )
    .await?;
    let revoked_session_ids = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Revoked(r) => Some(r.session_id),
            _ => None,
        })
        .collect();
    Ok(JsonResponse(RevokedAll {
        revoked_session_ids,
        version: outcome.version,
    }))
}

fn parse_reason(reason: &str) -> Result<RevocationReason, ApiError> {
    reason
        .parse()
        .map_err(|_| ApiError::Invalid(format!("unknown revocation reason {reason:?}")))
}

/// Holders of `sessions:revoke` act as administrators (on anyone, themselves included); other
/// callers only on their own sessions.
/// The caller's authority over `principal`'s sessions. Without any, the answer is the one for
/// a missing `what`, so that ids do not reveal what exists.
fn authority(
    claims: &AccessClaims,
    principal: Uuid,
    what: &'static str,
) -> Result<Authority, ApiError> {
    match access::owner_or_permission(claims, principal, Permission::SessionsRevoke) {
        Ok(access::Authority::Permission) => Ok(Authority::Administrator),
        Ok(access::Authority::Owner) => Ok(Authority::Owner),
        Err(access::Denied(_)) => Err(ApiError::NotFound(what)),
    }
}
