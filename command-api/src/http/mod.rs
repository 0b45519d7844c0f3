//! The command API over HTTP: shared state, request context, bearer authentication, errors,
//! and the routes of every use case.

mod bearer;
mod context;
mod error;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use utoipa::OpenApi;

pub use bearer::Bearer;
pub use context::RequestContext;
pub use error::ApiError;

use crate::auth::credentials::Credentials;
use crate::auth::lockout::{LockoutArgs, LoginAttempts};
use crate::auth::passwords::Passwords;
use crate::auth::tokens::TokenIssuer;
use crate::sessions::{self, SessionDirectory, SessionRunner};
use access::TokenVerifier;

/// Everything a handler may use, each behind its port.
#[derive(Clone)]
pub struct AppState {
    /// Runs commands on sessions streams (store, snapshots, cache write-through, clock).
    pub sessions: SessionRunner,
    pub directory: Arc<dyn SessionDirectory>,
    pub credentials: Arc<dyn Credentials>,
    pub attempts: Arc<dyn LoginAttempts>,
    pub passwords: Passwords,
    pub issuer: Arc<TokenIssuer>,
    pub verifier: Arc<TokenVerifier>,
    pub lockout: LockoutArgs,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

/// Fails unless the caller's own session is still active.
pub async fn require_active(
    state: &AppState,
    claims: &access::AccessClaims,
) -> Result<(), ApiError> {
    if sessions::is_active(&state.sessions, claims.sub, claims.sid).await? {
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
        sessions::login::login,
        sessions::refresh::refresh,
        sessions::logout::logout,
        sessions::revoke::revoke,
        sessions::revoke::revoke_all
    ),
    components(schemas(
        sessions::login::LoginRequest,
        sessions::login::TokenResponse,
        sessions::refresh::RefreshRequest,
        sessions::revoke::RevokeRequest,
        sessions::revoke::Revoked,
        sessions::revoke::RevokedAll
    ))
)]
pub struct ApiDoc;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/auth/login", post(sessions::login::login))
        .route("/v1/auth/refresh", post(sessions::refresh::refresh))
        .route("/v1/auth/logout", post(sessions::logout::logout))
        .route(
            "/v1/sessions/{session_id}/revoke",
            post(sessions::revoke::revoke),
        )
        .route(
            "/v1/principals/{principal_id}/sessions/revoke-all",
            post(sessions::revoke::revoke_all),
        )
        .with_state(state)
}
