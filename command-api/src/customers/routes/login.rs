//! `POST /v1/customers/{id}/email` and `POST /v1/customers/{id}/password`: a customer changes
//! its login or password by giving its current password, or a holder of `customers:write` sets
//! them. A password change ends the customer's other sessions with reason `PASSWORD_CHANGED`
//! (all of them when an admin set it); the session that changed it goes on.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::{Permission, PrincipalType};
use runtime::http::{Json, Path};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::profile::Changed;
use super::{CustomersState, may_act_on};
use crate::auth::reauth::Reauth;
use crate::customers::fields::Email;
use crate::customers::{CurrentLogin, change_email, change_password, current_login};
use crate::http::{ApiError, Bearer, RequestContext};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmail {
    /// The new login; unique across every principal, like a sign-up's.
    pub email: String,
    /// Required when customers change their own email.
    #[schema(value_type = Option<String>, format = Password)]
    pub current_password: Option<SecretString>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// Required when customers change their own password.
    #[schema(value_type = Option<String>, format = Password)]
    pub current_password: Option<SecretString>,
    /// At least 12 characters, not a common password (NIST SP 800-63B).
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretString,
}

#[utoipa::path(
    post,
    path = "/v1/customers/{id}/email",
    security(("bearer" = [])),
    request_body = ChangeEmail,
    responses(
        (status = 200, description = "Email changed; the old one is free", body = Changed),
        (status = 403, description = "A user lacking customers:write"),
        (status = 404, description = "No such customer, or another customer's id"),
        (status = 409, description = "Another account uses this email (email_taken)"),
        (status = 422, description = "The email breaks its rule, or the current password is missing or wrong (invalid_field names which)"),
        (status = 429, description = "Too many tries on this account (rate_limited, with Retry-After)"),
    )
)]
pub async fn email(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(customer_id): Path<Uuid>,
    Json(request): Json<ChangeEmail>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersWrite).await?;
    let email = Email::parse(&request.email)?;
    let current = current_login(&state.customers, customer_id).await?;
    if claims.principal_type == PrincipalType::Customer {
        let given = request.current_password.as_ref();
        reauth(&state)
            .confirm(customer_id, &current.email, given)
            .await?;
    }
    if email.as_str() == current.email {
        return Ok(JsonResponse(Changed {
            version: current.version,
        }));
    }
    let metadata = context.metadata_of(&claims);
    let outcome = change_email(&state.customers, customer_id, &current, &email, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}

#[utoipa::path(
    post,
    path = "/v1/customers/{id}/password",
    security(("bearer" = [])),
    request_body = ChangePassword,
    responses(
        (status = 200, description = "Password changed; the customer's other sessions ended", body = Changed),
        (status = 403, description = "A user lacking customers:write"),
        (status = 404, description = "No such customer, or another customer's id"),
        (status = 422, description = "The current password is missing or wrong, or the new one breaks the policy (invalid_field names which)"),
        (status = 429, description = "Too many tries on this account (rate_limited, with Retry-After)"),
    )
)]
pub async fn password(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(customer_id): Path<Uuid>,
    Json(request): Json<ChangePassword>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersWrite).await?;
    let CurrentLogin { email, name, .. } = current_login(&state.customers, customer_id).await?;
    let own = claims.principal_type == PrincipalType::Customer;
    if own {
        let given = request.current_password.as_ref();
        reauth(&state).confirm(customer_id, &email, given).await?;
    }
    state
        .policy
        .check(request.new_password.expose_secret(), &[&email, &name])
        .map_err(|weak| ApiError::InvalidField {
            field: "new_password",
            detail: weak.to_string(),
        })?;
    let hash = state
        .passwords
        .hash(&request.new_password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let session = own.then_some(claims.sid);
    let metadata = context.metadata_of(&claims);
    let outcome = change_password(&state.customers, customer_id, hash, session, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}

fn reauth(state: &CustomersState) -> Reauth<'_> {
    Reauth {
        throttle: state.throttle.as_ref(),
        logins: &state.customers.logins,
        credentials: state.credentials.as_ref(),
        passwords: &state.passwords,
    }
}
