//! `POST /v1/auth/login`: a password login starts a session and returns its tokens.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::{Actor, PrincipalType};
use runtime::http::Json;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Command, StartSession, execute};
use crate::auth::passwords::Verified;
use crate::auth::refresh::RefreshToken;
use crate::http::{ApiError, AppState, RequestContext};

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
    /// Seconds the refresh token stays usable if the session is left idle.
    pub refresh_expires_in: i64,
    pub session_id: Uuid,
    pub principal_id: Uuid,
    #[schema(value_type = String)]
    pub principal_type: PrincipalType,
    /// Sessions revoked to stay within the session limit.
    pub evicted_session_ids: Vec<Uuid>,
}

#[utoipa::path(
    post,
    path = "/v1/auth/login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Session started", body = TokenResponse),
        (status = 401, description = "Unknown login or wrong password (identical answers)"),
        (status = 422, description = "Missing or oversized login or password"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    context: RequestContext,
    Json(request): Json<LoginRequest>,
) -> Result<JsonResponse<TokenResponse>, ApiError> {
    use secrecy::ExposeSecret;
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
            return Err(ApiError::InvalidCredentials);
        }
        (Some(c), Verified::ValidRehashed(hash)) => {
            if let Err(error) = state.credentials.rehash(c.principal_id, &hash).await {
                tracing::warn!(%error, "could not store the rehashed password");
            }
            c
        }
        (Some(c), Verified::Valid) => c,
        _ => return Err(ApiError::InvalidCredentials),
    };

    let session_id = Uuid::now_v7();
    let refresh = RefreshToken::generate(credential.principal_id, session_id)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let actor = Actor::principal(credential.principal_type, credential.principal_id);
    let command = Command::Start(StartSession {
        session_id,
        principal_id: credential.principal_id,
        principal_type: credential.principal_type,
        refresh_token_hash: refresh.hash(),
        user_agent: context.user_agent.clone(),
        ip: context.ip.clone(),
        idle_timeout: state.policy.idle_timeout,
        lifetime: state.policy.lifetime,
    });
    let metadata = context.metadata(Some(actor));
    let outcome = execute(&state, credential.principal_id, command, metadata).await?;

    let (access_token, claims) = state
        .issuer
        .issue(
            credential.principal_id,
            credential.principal_type,
            session_id,
            credential.permissions,
            outcome.now,
        )
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(JsonResponse(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: claims.exp - claims.iat,
        refresh_token: refresh.expose().to_owned(),
        refresh_expires_in: state
            .policy
            .idle_timeout
            .min(state.policy.lifetime)
            .num_seconds(),
        session_id,
        principal_id: credential.principal_id,
        principal_type: credential.principal_type,
        evicted_session_ids: Vec::new(),
    }))
}
