//! The sessions context over HTTP: its handlers, the state they share, its routes and OpenAPI
//! paths, and the one place its refusals become problem+json answers.

pub mod login;
pub mod logout;
pub mod refresh;
pub mod revocation;
pub mod revoke;

use std::sync::Arc;

use access::{AccessClaims, TokenVerifier};
use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use store::session_cache::grants::Grants;
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

/// Fails unless the caller's own session is still active and the caller may do `permission`
/// now (what every admin route asks of its caller).
pub async fn require_permission(
    sessions: &SessionRunner,
    claims: &AccessClaims,
    permission: events::Permission,
) -> Result<(), ApiError> {
    let current = require_session(sessions, claims.clone()).await?;
    if !current.has(permission) {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// Fails unless the caller's own session is still active; the caller's claims with the
/// permissions it holds now in place of those its token was issued with (a role may have lost
/// one since, or the user been disabled).
pub async fn require_session(
    sessions: &SessionRunner,
    mut claims: AccessClaims,
) -> Result<AccessClaims, ApiError> {
    if !super::is_active(sessions, claims.sub, claims.sid).await? {
        return Err(ApiError::Unauthenticated);
    }
    let grants = Grants {
        cache: sessions.cache.clone(),
        store: sessions.ports.store.clone(),
    };
    let effective = grants.effective(claims.sub, claims.principal_type).await?;
    claims.permissions = effective.permissions.into_iter().collect();
    Ok(claims)
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
        revocation::revoke_token,
        revoke::revoke,
        revoke::revoke_all
    ),
    components(schemas(
        login::LoginRequest,
        login::TokenResponse,
        refresh::RefreshRequest,
        revocation::RevocationRequest,
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
        .route("/v1/tokens/revoke", post(revocation::revoke_token))
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
