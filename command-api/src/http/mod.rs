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
use crate::auth::passwords::Passwords;
use crate::auth::tokens::{TokenIssuer, TokenVerifier};
use crate::event_store::EventStore;
use crate::sessions::{self, SessionPolicy};

/// Everything a handler may use, each behind its port.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn EventStore>,
    pub credentials: Arc<dyn Credentials>,
    pub passwords: Passwords,
    pub issuer: Arc<TokenIssuer>,
    pub verifier: Arc<TokenVerifier>,
    pub clock: Arc<dyn Clock>,
    pub policy: SessionPolicy,
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
    paths(sessions::login::login, sessions::logout::logout),
    components(schemas(sessions::login::LoginRequest, sessions::login::TokenResponse))
)]
pub struct ApiDoc;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/auth/login", post(sessions::login::login))
        .route("/v1/auth/logout", post(sessions::logout::logout))
        .with_state(state)
}
