//! `PATCH /v1/customers/{id}`: the customer itself, or a holder of `customers:write`, changes
//! the profile. Fields left out keep their value; `null` clears an optional one.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Permission;
use runtime::http::{Json, Path};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{CustomersState, may_act_on};
use crate::customers::fields;
use crate::customers::{ProfileChange, change_profile};
use crate::http::{ApiError, Bearer, RequestContext};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditProfile {
    /// Full name, 1 to 200 characters.
    pub name: Option<String>,
    /// E.164, e.g. +41446681800; `null` removes it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// `YYYY-MM-DD`, in the past, from 1900; `null` removes it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<Option<String>>,
}

/// A field that is present, even as `null` (absent stays `None` by `default`).
pub(super) fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A command's answer: the customer's stream version after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    /// Unchanged if the command changed nothing.
    pub version: i64,
}

#[utoipa::path(
    patch,
    path = "/v1/customers/{id}",
    security(("bearer" = [])),
    request_body = EditProfile,
    responses(
        (status = 200, description = "Profile changed", body = Changed),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "A user lacking customers:write"),
        (status = 404, description = "No such customer, or another customer's id"),
        (status = 422, description = "A field breaks its rule (invalid_field names it), or none is given"),
    )
)]
pub async fn edit(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(customer_id): Path<Uuid>,
    Json(request): Json<EditProfile>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersWrite).await?;
    let change = ProfileChange {
        name: request.name.as_deref().map(fields::name).transpose()?,
        phone: request
            .phone
            .map(|phone| phone.as_deref().map(fields::phone).transpose())
            .transpose()?,
        birth_date: request
            .birth_date
            .map(|date| date.as_deref().map(fields::birth_date).transpose())
            .transpose()?,
    };
    if change.name.is_none() && change.phone.is_none() && change.birth_date.is_none() {
        return Err(ApiError::Invalid("give name, phone or birth_date".into()));
    }
    let metadata = context.metadata_of(&claims);
    let outcome = change_profile(&state.customers, customer_id, change, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}
