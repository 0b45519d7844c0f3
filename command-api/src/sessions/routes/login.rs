//! `POST /v1/auth/login`: a password login ([`crate::sessions::login`]) starts a session and
//! returns its tokens; past the attempt limit the login is locked (429).

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{DateTime, Utc};
use events::sessions::{RevocationReason, SessionEvent};
use events::{Permission, PrincipalType};
use runtime::http::Json;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use crate::http::{ApiError, RequestContext};
use crate::sessions::login::{Attempt, LoggedIn, LoginRefused};
use crate::sessions::{self, Outcome};
use access::refresh::RefreshToken;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The principal's email.
    pub login: String,
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// Tokens of a session, as login and refresh return them.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    /// Seconds the refresh token stays usable: until the session's idle or absolute expiry.
    pub refresh_expires_in: i64,
    pub session_id: Uuid,
    pub principal_id: Uuid,
    #[schema(value_type = String)]
    pub principal_type: PrincipalType,
    /// Sessions revoked to stay within the session limit.
    pub evicted_session_ids: Vec<Uuid>,
    /// The principal's sessions stream version after this command (for `?min_version=`).
    pub version: i64,
}

/// The principal and session tokens are issued for.
pub(super) struct Grant {
    pub principal_id: Uuid,
    pub principal_type: PrincipalType,
    pub permissions: Vec<Permission>,
    pub session_id: Uuid,
    /// When the session ends if nothing else happens.
    pub session_ends_at: DateTime<Utc>,
}

pub(super) fn tokens(
    state: &AppState,
    grant: Grant,
    refresh: &RefreshToken,
    outcome: &Outcome,
) -> Result<TokenResponse, ApiError> {
    let (access_token, claims) = state
        .issuer
        .issue(
            grant.principal_id,
            grant.principal_type,
            grant.session_id,
            grant.permissions,
        )
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let evicted_session_ids = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Revoked(r) if r.reason == RevocationReason::SessionLimitEviction => {
                Some(r.session_id)
            }
            _ => None,
        })
        .collect();
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        refresh_token: refresh.expose().to_owned(),
        refresh_expires_in: (grant.session_ends_at - outcome.now).num_seconds().max(0),
        session_id: grant.session_id,
        principal_id: grant.principal_id,
        principal_type: grant.principal_type,
        evicted_session_ids,
        version: outcome.version,
    })
}

#[utoipa::path(
    post,
    path = "/v1/auth/login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Session started", body = TokenResponse),
        (status = 401, description = "Unknown login or wrong password (identical answers)"),
        (status = 422, description = "Missing or oversized login or password"),
        (status = 429, description = "Too many failed logins (`locked`) or too many attempts from the address or on the account (`rate_limited`); see Retry-After"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    context: RequestContext,
    Json(request): Json<LoginRequest>,
) -> Result<JsonResponse<TokenResponse>, ApiError> {
    let attempt = Attempt {
        login: &request.login,
        password: &request.password,
        user_agent: context.user_agent.clone(),
        ip: context.ip.clone(),
        metadata: &|actor| context.metadata(actor),
    };
    let logged_in = sessions::login::login(&state.login, &state.sessions, attempt)
        .await
        .map_err(refused)?;
    let LoggedIn {
        credential,
        session_id,
        refresh,
        outcome,
    } = logged_in;
    let grant = Grant {
        principal_id: credential.principal_id,
        principal_type: credential.principal_type,
        permissions: credential.permissions,
        session_id,
        session_ends_at: outcome
            .state
            .get(session_id)
            .map_or(outcome.now, |s| s.ends_at()),
    };
    Ok(JsonResponse(tokens(&state, grant, &refresh, &outcome)?))
}

fn refused(refused: LoginRefused) -> ApiError {
    match refused {
        LoginRefused::Invalid(detail) => ApiError::Invalid(detail),
        LoginRefused::InvalidCredentials => ApiError::InvalidCredentials,
        LoginRefused::Locked { until, now } => {
            let seconds = (until - now).num_seconds().max(1);
            ApiError::Locked {
                retry_after_secs: u64::try_from(seconds).unwrap_or(1),
            }
        }
        LoginRefused::Throttled(t) => t.into(),
        LoginRefused::Store(e) => e.into(),
        LoginRefused::Session(r) => r.into(),
        LoginRefused::Internal(detail) => ApiError::Internal(detail),
    }
}
