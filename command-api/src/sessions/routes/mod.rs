//! The sessions context over HTTP: its handlers, the state they share, its routes and OpenAPI
//! paths, and the one place its refusals become problem+json answers.

pub mod login;
pub mod logout;
pub mod refresh;
pub mod revoke;

use std::sync::Arc;

use access::TokenVerifier;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use utoipa::OpenApi;

use super::login::LoginPorts;
use super::{Rejected, SessionDirectory, SessionError, SessionRunner};
use crate::auth::tokens::TokenIssuer;
use crate::http::ApiError;

/// Everything a handler may use, each behind its port.
#[derive(Clone)]
pub struct AppState {
    /// Runs commands on sessions streams (store, snapshots, cache write-through, clock).
    pub sessions: SessionRunner,
    pub directory: Arc<dyn SessionDirectory>,
    /// What a password login uses: attempts, credentials, password hashing, lockout policy.
    pub login: LoginPorts,
    pub issuer: Arc<TokenIssuer>,
    pub verifier: Arc<TokenVerifier>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

/// Fails unless the caller's own session is still active and its token grants `permission`
/// (what every admin route of another context asks of its caller).
pub async fn require_permission(
    sessions: &SessionRunner,
    claims: &access::AccessClaims,
    permission: events::Permission,
) -> Result<(), ApiError> {
    require_session(sessions, claims).await?;
    if !claims.permissions.contains(&permission) {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// Fails unless the caller's own session is still active (for this context's handlers).
pub async fn require_active(
    state: &AppState,
    claims: &access::AccessClaims,
) -> Result<(), ApiError> {
    require_session(&state.sessions, claims).await
}

/// Fails unless the caller's own session is still active.
pub async fn require_session(
    sessions: &SessionRunner,
    claims: &access::AccessClaims,
) -> Result<(), ApiError> {
    if super::is_active(sessions, claims.sub, claims.sid).await? {
        Ok(())
    } else {
        Err(ApiError::Unauthenticated)
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "identity command-api",
        description = "Commands of the identity platform"
    ),
    paths(
        login::login,
        refresh::refresh,
        logout::logout,
        revoke::revoke,
        revoke::revoke_all
    ),
    components(schemas(
        login::LoginRequest,
        login::TokenResponse,
        refresh::RefreshRequest,
        revoke::RevokeRequest,
        revoke::Revoked,
        revoke::RevokedAll
    ))
)]
pub struct ApiDoc;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/auth/login", post(login::login))
        .route("/v1/auth/refresh", post(refresh::refresh))
        .route("/v1/auth/logout", post(logout::logout))
        .route("/v1/sessions/{session_id}/revoke", post(revoke::revoke))
        .route(
            "/v1/principals/{principal_id}/sessions/revoke-all",
            post(revoke::revoke_all),
        )
        .with_state(state)
}

/// How the sessions context's refusals are answered.
impl From<Rejected> for ApiError {
    fn from(r: Rejected) -> Self {
        match r {
            Rejected::Store(e) => e.into(),
            Rejected::Contended => ApiError::Conflict,
            Rejected::Corrupt(detail) => ApiError::Internal(detail),
            Rejected::Domain(SessionError::NotFound) => ApiError::NotFound("session"),
            Rejected::Domain(SessionError::NotActive) => ApiError::State {
                code: "session_not_active",
                detail: "the session has ended already".into(),
            },
            Rejected::Domain(SessionError::InvalidMetadata(detail)) => ApiError::Invalid(detail),
            Rejected::Domain(e @ SessionError::ReasonNotAllowed(_)) => {
                ApiError::Invalid(e.to_string())
            }
            Rejected::Domain(SessionError::UnknownRefreshToken) => ApiError::Unauthenticated,
            Rejected::Domain(e @ SessionError::AlreadyStarted) => ApiError::Internal(e.to_string()),
        }
    }
}
