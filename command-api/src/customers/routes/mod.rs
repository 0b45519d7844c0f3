//! The customers context over HTTP: its handlers, the state they share, its routes and OpenAPI
//! paths, who may act on a customer, and the one place its refusals become problem+json.

mod addresses;
mod erase;
mod login;
mod preferences;
mod profile;
mod segments;
mod sign_up;

use std::sync::Arc;

use access::{AccessClaims, TokenVerifier};
use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, post, put};
use events::{Permission, PrincipalType};
use store::aggregate::RunError;
use store::event_store::StoreError;
use utoipa::OpenApi;
use uuid::Uuid;

use super::{CustomerError, CustomerRunner};
use crate::auth::credentials::Credentials;
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
    /// The current password a customer gives to change its login or password.
    pub credentials: Arc<dyn Credentials>,
    pub policy: PasswordPolicyArgs,
    /// Sign-ups per client address (each costs a password hash), and the login buckets a
    /// customer's tries of its current password draw from.
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
    paths(
        sign_up::sign_up,
        profile::edit,
        login::email,
        login::password,
        addresses::add,
        addresses::change,
        addresses::remove,
        preferences::set,
        segments::add,
        segments::remove,
        erase::erase
    ),
    components(schemas(
        sign_up::SignUpRequest,
        sign_up::SignedUp,
        profile::EditProfile,
        profile::Changed,
        login::ChangeEmail,
        login::ChangePassword,
        addresses::AddressRequest,
        addresses::AddressAdded,
        preferences::PreferencesRequest,
        segments::SegmentRequest,
        erase::Erased
    ))
)]
pub struct ApiDoc;

pub fn routes(state: CustomersState) -> Router {
    Router::new()
        .route("/v1/customers", post(sign_up::sign_up))
        .route(
            "/v1/customers/{id}",
            delete(erase::erase).patch(profile::edit),
        )
        .route("/v1/customers/{id}/email", post(login::email))
        .route("/v1/customers/{id}/password", post(login::password))
        .route("/v1/customers/{id}/addresses", post(addresses::add))
        .route(
            "/v1/customers/{id}/addresses/{address_id}",
            put(addresses::change).delete(addresses::remove),
        )
        .route("/v1/customers/{id}/preferences", put(preferences::set))
        .route("/v1/customers/{id}/segments", post(segments::add))
        .route(
            "/v1/customers/{id}/segments/{segment}",
            delete(segments::remove),
        )
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
    allowed(state, claims, id, permission, SelfService::Allowed).await
}

/// Whether the caller may do what only holders of `permission` do to customer `id` (a
/// customer itself may not: 403 on its own id, 404 on another's).
pub async fn may_manage(
    state: &CustomersState,
    claims: &AccessClaims,
    id: Uuid,
    permission: Permission,
) -> Result<(), ApiError> {
    allowed(state, claims, id, permission, SelfService::Refused).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SelfService {
    Allowed,
    Refused,
}

async fn allowed(
    state: &CustomersState,
    claims: &AccessClaims,
    id: Uuid,
    permission: Permission,
    own: SelfService,
) -> Result<(), ApiError> {
    let current = require_session(&state.sessions, claims.clone()).await?;
    match current.principal_type {
        PrincipalType::Customer if current.sub != id => Err(ApiError::NotFound("customer")),
        PrincipalType::Customer if own == SelfService::Allowed => Ok(()),
        PrincipalType::Customer => Err(ApiError::Forbidden),
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
