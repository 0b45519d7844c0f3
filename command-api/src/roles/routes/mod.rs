//! The roles context over HTTP: its handlers, the state they share, its routes and OpenAPI
//! paths, and the one place its refusals become problem+json answers.

mod change;
mod create;

use std::sync::Arc;

use access::TokenVerifier;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, patch, post};
use store::aggregate::RunError;
use store::event_store::StoreError;
use utoipa::OpenApi;

use super::{RoleError, RoleRunner};
use crate::http::ApiError;
use crate::sessions::SessionRunner;

/// Everything a roles handler may use.
#[derive(Clone)]
pub struct RolesState {
    pub roles: RoleRunner,
    /// Whether the caller's own session is still active.
    pub sessions: SessionRunner,
    pub verifier: Arc<TokenVerifier>,
}

impl FromRef<RolesState> for Arc<TokenVerifier> {
    fn from_ref(state: &RolesState) -> Self {
        state.verifier.clone()
    }
}

impl std::fmt::Debug for RolesState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolesState").finish_non_exhaustive()
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        create::create,
        change::edit,
        change::grant,
        change::revoke,
        change::delete
    ),
    components(schemas(
        create::CreateRole,
        create::Created,
        change::EditRole,
        change::GrantPermission,
        change::RoleChanged
    ))
)]
pub struct ApiDoc;

pub fn routes(state: RolesState) -> Router {
    Router::new()
        .route("/v1/roles", post(create::create))
        .route("/v1/roles/{id}", patch(change::edit).delete(change::delete))
        .route("/v1/roles/{id}/permissions", post(change::grant))
        .route(
            "/v1/roles/{id}/permissions/{permission}",
            delete(change::revoke),
        )
        .with_state(state)
}

/// How the roles context's refusals are answered.
impl From<RunError<RoleError>> for ApiError {
    fn from(e: RunError<RoleError>) -> Self {
        match e {
            RunError::Store(StoreError::Taken(_)) => ApiError::State {
                code: "role_name_taken",
                detail: "another role has this name".into(),
            },
            RunError::Store(e) => e.into(),
            RunError::Contended => ApiError::Conflict,
            RunError::Corrupt(detail) => ApiError::Internal(detail),
            RunError::Domain(RoleError::NotFound) => ApiError::NotFound("role"),
            RunError::Domain(e @ RoleError::AlreadyCreated) => ApiError::Internal(e.to_string()),
        }
    }
}
