//! The customers context over HTTP: its handlers, the state they share, its routes and OpenAPI
//! paths, who may act on a customer, and the one place its refusals become problem+json.

mod erase;
mod sign_up;

use std::sync::Arc;

use access::{AccessClaims, TokenVerifier};
use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, post};
use events::{Permission, PrincipalType};
use store::aggregate::RunError;
use store::event_store::StoreError;
use utoipa::OpenApi;
use uuid::Uuid;

use super::{CustomerError, CustomerRunner};
use crate::auth::password_policy::PasswordPolicyArgs;
use crate::auth::passwords::Passwords;
use crate::auth::throttle::Throttle;
use crate::http::ApiError;
use crate::sessions::SessionRunner;
use crate::sessions::routes::require_session;

/// Everything a customers handler may use.
#[derive(Clone)]
pub struct CustomersState {
    pub customers: CustomerRunner,
    /// Whether the caller's own session is still active, and what it may do now.
    pub sessions: SessionRunner,
    pub passwords: Passwords,
    pub policy: PasswordPolicyArgs,
    /// Sign-ups per client address (each costs a password hash).
    pub throttle: Arc<dyn Throttle>,
    pub verifier: Arc<TokenVerifier>,
}

impl FromRef<CustomersState> for Arc<TokenVerifier> {
    fn from_ref(state: &CustomersState) -> Self {
        state.verifier.clone()
    }
}

impl std::fmt::Debug for CustomersState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomersState").finish_non_exhaustive()
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    paths(sign_up::sign_up, erase::erase),
    components(schemas(sign_up::SignUpRequest, sign_up::SignedUp, erase::Erased))
)]
pub struct ApiDoc;

pub fn routes(state: CustomersState) -> Router {
    Router::new()
        .route("/v1/customers", post(sign_up::sign_up))
        .route("/v1/customers/{id}", delete(erase::erase))
        .with_state(state)
}

/// Whether the caller may act on customer `id`: a customer on itself only (another customer's
/// id answers 404, so ids reveal nothing), a user with `permission` on any.
pub async fn may_act_on(
    state: &CustomersState,
    claims: &AccessClaims,
    id: Uuid,
    permission: Permission,
) -> Result<(), ApiError> {
    let current = require_session(&state.sessions, claims.clone()).await?;
    match current.principal_type {
        PrincipalType::Customer if current.sub == id => Ok(()),
        PrincipalType::Customer => Err(ApiError::NotFound("customer")),
        _ if current.has(permission) => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

/// How the customers context's refusals are answered.
impl From<RunError<CustomerError>> for ApiError {
    fn from(e: RunError<CustomerError>) -> Self {
        match e {
            RunError::Store(StoreError::Taken(_)) => ApiError::State {
                code: "email_taken",
                detail: "another account uses this email".into(),
            },
            RunError::Store(e) => e.into(),
            RunError::Contended => ApiError::Conflict,
            RunError::Corrupt(detail) => ApiError::Internal(detail),
            RunError::Domain(CustomerError::NotFound) => ApiError::NotFound("customer"),
            RunError::Domain(CustomerError::UnknownAddress) => ApiError::NotFound("address"),
            RunError::Domain(e @ CustomerError::TooManyAddresses) => ApiError::State {
                code: "too_many_addresses",
                detail: e.to_string(),
            },
            RunError::Domain(e @ CustomerError::AlreadySignedUp) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}
