//! The users context over HTTP: its handlers, the state they share, its routes and OpenAPI
//! paths, and the one place its refusals become problem+json answers.

mod assign;
mod edit;
mod password;
mod register;

use std::sync::Arc;

use access::TokenVerifier;
use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, patch, post};
use store::aggregate::RunError;
use store::event_store::StoreError;
use utoipa::OpenApi;

use super::fields::Invalid;
use super::{UserError, UserRunner};
use crate::auth::credentials::Credentials;
use crate::auth::password_policy::{PasswordPolicyArgs, WeakPassword};
use crate::auth::passwords::Passwords;
use crate::auth::throttle::Throttle;
use crate::http::ApiError;
use crate::sessions::SessionRunner;

/// Everything a users handler may use.
#[derive(Clone)]
pub struct UsersState {
    pub users: UserRunner,
    /// Whether the caller's own session is still active.
    pub sessions: SessionRunner,
    pub passwords: Passwords,
    /// The current password a user gives to change its own.
    pub credentials: Arc<dyn Credentials>,
    /// The login buckets, which a user's tries of its current password draw from too.
    pub throttle: Arc<dyn Throttle>,
    pub policy: PasswordPolicyArgs,
    pub verifier: Arc<TokenVerifier>,
}

impl FromRef<UsersState> for Arc<TokenVerifier> {
    fn from_ref(state: &UsersState) -> Self {
        state.verifier.clone()
    }
}

impl std::fmt::Debug for UsersState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsersState").finish_non_exhaustive()
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        register::register,
        edit::edit,
        edit::disable,
        edit::enable,
        password::change_password,
        assign::assign,
        assign::unassign
    ),
    components(schemas(
        register::RegisterUser,
        register::Registered,
        edit::EditUser,
        edit::Changed,
        password::ChangePassword,
        assign::AssignRole
    ))
)]
pub struct ApiDoc;

pub fn routes(state: UsersState) -> Router {
    Router::new()
        .route("/v1/users", post(register::register))
        .route("/v1/users/{id}", patch(edit::edit))
        .route("/v1/users/{id}/disable", post(edit::disable))
        .route("/v1/users/{id}/enable", post(edit::enable))
        .route("/v1/users/{id}/password", post(password::change_password))
        .route("/v1/users/{id}/roles", post(assign::assign))
        .route("/v1/users/{id}/roles/{role_id}", delete(assign::unassign))
        .with_state(state)
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::InvalidField {
            field: invalid.field,
            detail: invalid.reason,
        }
    }
}

impl From<WeakPassword> for ApiError {
    fn from(weak: WeakPassword) -> Self {
        ApiError::InvalidField {
            field: "password",
            detail: weak.to_string(),
        }
    }
}

/// How the users context's refusals are answered.
impl From<RunError<UserError>> for ApiError {
    fn from(e: RunError<UserError>) -> Self {
        match e {
            RunError::Store(StoreError::Taken(_)) => ApiError::State {
                code: "email_taken",
                detail: "another account uses this email".into(),
            },
            RunError::Store(e) => e.into(),
            RunError::Contended => ApiError::Conflict,
            RunError::Corrupt(detail) => ApiError::Internal(detail),
            RunError::Domain(UserError::NotFound) => ApiError::NotFound("user"),
            RunError::Domain(e @ UserError::AlreadyRegistered) => ApiError::Internal(e.to_string()),
        }
    }
}
