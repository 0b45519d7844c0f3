//! The command API over HTTP: shared state, request context, bearer authentication, errors,
//! and the routes of every use case.

mod bearer;
mod context;
mod error;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use runtime::clock::Clock;
use utoipa::OpenApi;

pub use bearer::Bearer;
pub use context::RequestContext;
pub use error::ApiError;

use crate::auth::credentials::Credentials;
use crate::auth::lockout::{LockoutArgs, LoginAttempts};
use crate::auth::passwords::Passwords;
use crate::auth::tokens::TokenIssuer;
use crate::sessions::{self, SessionDirectory, SessionPolicy};
use access::TokenVerifier;
use store::event_store::{EventStore, Snapshots};
use store::session_cache::SessionCache;

/// Everything a handler may use, each behind its port.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn EventStore>,
    pub snapshots: Arc<dyn Snapshots>,
    pub directory: Arc<dyn SessionDirectory>,
    pub credentials: Arc<dyn Credentials>,
    pub attempts: Arc<dyn LoginAttempts>,
    pub passwords: Passwords,
    pub issuer: Arc<TokenIssuer>,
    pub verifier: Arc<TokenVerifier>,
    pub clock: Arc<dyn Clock>,
    pub policy: SessionPolicy,
    pub lockout: LockoutArgs,
    /// Written through after each sessions command, so a login or revocation is visible to
    /// introspection at once; the projector makes it right if this write is lost.
    pub cache: SessionCache,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
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
