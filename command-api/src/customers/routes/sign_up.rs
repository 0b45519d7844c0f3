//! `POST /v1/customers`: anyone signs up as a customer, who can log in at once through
//! `/v1/auth/login`. Its personal fields are sealed under its new data key before anything is
//! stored.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use runtime::http::Json;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::CustomersState;
use crate::auth::throttle::{Limit, address_subject};
use crate::customers::fields::{self, Email};
use crate::customers::{NewCustomer, sign_up as run_sign_up};
use crate::http::{ApiError, RequestContext};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// The login; compared trimmed, NFKC-normalised and case-insensitively, unique across
    /// every principal.
    pub email: String,
    /// At least 12 characters, not a common password (NIST SP 800-63B).
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// Full name, 1 to 200 characters.
    pub name: String,
    /// E.164, e.g. +41446681800.
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedUp {
    pub customer_id: Uuid,
    /// The customer's stream version.
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/v1/customers",
    request_body = SignUpRequest,
    responses(
        (status = 201, description = "Signed up; the customer can log in", body = SignedUp),
        (status = 409, description = "Another account uses this email (email_taken)"),
        (status = 422, description = "A field breaks its rule (invalid_field names it)"),
        (status = 429, description = "Too many sign-ups from this address; see Retry-After"),
    )
)]
pub async fn sign_up(
    State(state): State<CustomersState>,
    context: RequestContext,
    Json(request): Json<SignUpRequest>,
) -> Result<(StatusCode, JsonResponse<SignedUp>), ApiError> {
    if let Some(address) = address_subject(context.ip.as_deref()) {
        state
            .throttle
            .take(Limit::SignUpPerAddress, &address)
            .await?;
    }
    let email = Email::parse(&request.email)?;
    let name = fields::name(&request.name)?;
    let phone = request.phone.as_deref().map(fields::phone).transpose()?;
    state.policy.check(
        request.password.expose_secret(),
        &[email.as_str(), name.as_str()],
    )?;
    let password_hash = state
        .passwords
        .hash(&request.password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let customer_id = Uuid::now_v7();
    let actor = events::Actor::Customer(customer_id);
    let new = NewCustomer {
        email,
        name,
        phone,
        password_hash,
    };
    let outcome = run_sign_up(
        &state.customers,
        customer_id,
        new,
        context.metadata(Some(actor)),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(SignedUp {
            customer_id,
            version: outcome.version,
        }),
    ))
}
