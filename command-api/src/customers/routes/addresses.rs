//! The address book: `POST /v1/customers/{id}/addresses`, `PUT` and `DELETE
//! /v1/customers/{id}/addresses/{address_id}`, by the customer itself or a holder of
//! `customers:write`. At most 20 addresses; one default for shipping and one for billing (naming
//! an address the default takes it from the other). Each address is sealed whole, bound to its id.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use events::Permission;
use runtime::http::{Json, Path};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::profile::Changed;
use super::{CustomersState, may_act_on};
use crate::customers::fields::{Address, RawAddress};
use crate::customers::{AddressChange, CustomerCommand, add_address, change_address, execute};
use crate::http::{ApiError, Bearer, RequestContext};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. CH.
    pub country: String,
    /// Who receives parcels there, if not the customer.
    pub recipient: Option<String>,
    #[serde(default)]
    pub default_shipping: bool,
    #[serde(default)]
    pub default_billing: bool,
}

impl AddressRequest {
    fn into_change(self, address_id: Uuid) -> Result<AddressChange, ApiError> {
        let address = Address::parse(RawAddress {
            line1: &self.line1,
            line2: self.line2.as_deref(),
            city: &self.city,
            postal_code: &self.postal_code,
            region: self.region.as_deref(),
            country: &self.country,
            recipient: self.recipient.as_deref(),
        })?;
        Ok(AddressChange {
            address_id,
            address,
            default_shipping: self.default_shipping,
            default_billing: self.default_billing,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressAdded {
    pub address_id: Uuid,
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/v1/customers/{id}/addresses",
    security(("bearer" = [])),
    request_body = AddressRequest,
    responses(
        (status = 201, description = "Address added", body = AddressAdded),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "A user lacking customers:write"),
        (status = 404, description = "No such customer, or another customer's id"),
        (status = 409, description = "The address book is full (too_many_addresses)"),
        (status = 422, description = "A field breaks its rule (invalid_field names it)"),
    )
)]
pub async fn add(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(customer_id): Path<Uuid>,
    Json(request): Json<AddressRequest>,
) -> Result<(StatusCode, JsonResponse<AddressAdded>), ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersWrite).await?;
    let address_id = Uuid::now_v7();
    let change = request.into_change(address_id)?;
    let metadata = context.metadata_of(&claims);
    let outcome = add_address(&state.customers, customer_id, change, metadata).await?;
    let version = outcome.version;
    Ok((
        StatusCode::CREATED,
        JsonResponse(AddressAdded {
            address_id,
            version,
        }),
    ))
}

#[utoipa::path(
    put,
    path = "/v1/customers/{id}/addresses/{address_id}",
    security(("bearer" = [])),
    request_body = AddressRequest,
    responses(
        (status = 200, description = "Address replaced", body = Changed),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "A user lacking customers:write"),
        (status = 404, description = "No such customer or address, or another customer's id"),
        (status = 422, description = "A field breaks its rule (invalid_field names it)"),
    )
)]
pub async fn change(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path((customer_id, address_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<AddressRequest>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersWrite).await?;
    let change = request.into_change(address_id)?;
    let metadata = context.metadata_of(&claims);
    let outcome = change_address(&state.customers, customer_id, change, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}

#[utoipa::path(
    delete,
    path = "/v1/customers/{id}/addresses/{address_id}",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Address removed", body = Changed),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "A user lacking customers:write"),
        (status = 404, description = "No such customer or address, or another customer's id"),
    )
)]
pub async fn remove(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path((customer_id, address_id)): Path<(Uuid, Uuid)>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersWrite).await?;
    let command = CustomerCommand::RemoveAddress(address_id);
    let metadata = context.metadata_of(&claims);
    let outcome = execute(&state.customers, customer_id, command, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}
