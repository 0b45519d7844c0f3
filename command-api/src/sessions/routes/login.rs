//! `POST /v1/auth/login`: a password login starts a session and returns its tokens. Attempts
//! are counted before the password is checked; past the limit the login is locked (429).

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{DateTime, Utc};
use events::sessions::{RevocationReason, SessionEvent};
use events::{Actor, Permission, PrincipalType};
use runtime::http::Json;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use crate::auth::lockout::{Attempts, Tripped};
use crate::auth::passwords::Verified;
use crate::auth::refresh::RefreshToken;
use crate::http::{ApiError, RequestContext};
use crate::sessions::{Command, RecordLockout, StartSession, execute};

/// Longest accepted login and password, in characters.
const MAX_LOGIN: usize = 320;
const MAX_PASSWORD: usize = 1024;

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
    outcome: &crate::sessions::Outcome,
) -> Result<TokenResponse, ApiError> {
    let (access_token, claims) = state
        .issuer
        .issue(
            grant.principal_id,
            grant.principal_type,
            grant.session_id,
            grant.permissions,
            outcome.now,
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
        (status = 429, description = "Too many failed logins; see Retry-After"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    context: RequestContext,
    Json(request): Json<LoginRequest>,
) -> Result<JsonResponse<TokenResponse>, ApiError> {
    let login = request.login.trim().to_lowercase();
    if login.is_empty() || login.chars().count() > MAX_LOGIN {
        return Err(ApiError::Invalid(format!(
            "login must be 1 to {MAX_LOGIN} characters"
        )));
    }
    let password_len = request.password.expose_secret().chars().count();
    if password_len == 0 || password_len > MAX_PASSWORD {
        return Err(ApiError::Invalid(format!(
            "password must be 1 to {MAX_PASSWORD} characters"
        )));
    }

    // Attempts on one login run one at a time, the password check included.
    let guard = state.attempts.begin(&login).await?;
    let attempts = guard.attempts();
    let now = state.sessions.clock.now();
    if let Some(until) = attempts.locked_at(now) {
        guard.finish(attempts).await?;
        return Err(locked(until, now));
    }
    let stored = state.credentials.find(&login).await?;
    let verified = state
        .passwords
        .verify(
            &request.password,
            stored.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let credential = match (stored, verified) {
        (Some(c), Verified::Valid | Verified::ValidRehashed(_)) if c.disabled => {
            guard.finish(attempts).await?;
            return Err(ApiError::InvalidCredentials);
        }
        (Some(c), Verified::ValidRehashed(hash)) => {
            if let Err(error) = state.credentials.rehash(c.principal_id, &hash).await {
                tracing::warn!(%error, "could not store the rehashed password");
            }
            c
        }
        (Some(c), Verified::Valid) => c,
        (stored, _) => {
            let (next, tripped) = attempts.failed(now, &state.lockout);
            guard.finish(next).await?;
            if let (Some(tripped), Some(c)) = (tripped, stored) {
                record_lockout(&state, c.principal_id, tripped, &context).await;
            }
            return Err(ApiError::InvalidCredentials);
        }
    };
    guard.finish(Attempts::default()).await?;

    let session_id = Uuid::now_v7();
    let refresh = RefreshToken::generate(
        credential.principal_type,
        credential.principal_id,
        session_id,
    )
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let actor = Actor::principal(credential.principal_type, credential.principal_id);
    let command = Command::Start(StartSession {
        session_id,
        principal_id: credential.principal_id,
        principal_type: credential.principal_type,
        refresh_token_hash: refresh.hash(),
        user_agent: context.user_agent.clone(),
        ip: context.ip.clone(),
        idle_timeout: state.sessions.policy.idle_timeout,
        lifetime: state.sessions.policy.lifetime,
        limit: state.sessions.policy.limit,
    });
    let metadata = context.metadata(Some(actor));
    let outcome = execute(&state.sessions, credential.principal_id, command, metadata).await?;
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

fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let seconds = (until - now).num_seconds().max(1);
    ApiError::Locked {
        retry_after_secs: u64::try_from(seconds).unwrap_or(1),
    }
}

/// Records the lockout on the principal's stream. Best effort: the lock is in force already.
async fn record_lockout(
    state: &AppState,
    principal_id: Uuid,
    tripped: Tripped,
    context: &RequestContext,
) {
    let command = Command::RecordLockout(RecordLockout {
        failed_attempts: tripped.failures,
        lockout_count: tripped.lockouts,
        locked_until: tripped.until,
    });
    let metadata = context.metadata(Some(Actor::System("login-lockout".into())));
    if let Err(error) = execute(&state.sessions, principal_id, command, metadata).await {
        tracing::warn!(error = ?error, "lockout not recorded");
    }
}
