//! Segments a customer belongs to (`vip`, `b2b_eu`, …), managed by holders of
//! `customers:segment` only: `POST /v1/customers/{id}/segments` and `DELETE
//! /v1/customers/{id}/segments/{segment}`. Adding one it has, or removing one it lacks, changes
//! nothing and answers the same version.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Permission;
use runtime::http::{Json, Path};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::profile::Changed;
use super::{CustomersState, may_manage};
use crate::customers::{CustomerCommand, execute, fields};
use crate::http::{ApiError, Bearer, RequestContext};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentRequest {
    /// A lower-case letter, then lower-case letters, digits, `-` or `_`; at most 64.
    pub segment: String,
}

#[utoipa::path(
    post,
    path = "/v1/customers/{id}/segments",
    security(("bearer" = [])),
    request_body = SegmentRequest,
    responses(
        (status = 200, description = "The customer is in the segment", body = Changed),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "The caller lacks customers:segment"),
        (status = 404, description = "No such customer, or another customer's id"),
        (status = 422, description = "Not a segment name (invalid_field)"),
    )
)]
pub async fn add(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(customer_id): Path<Uuid>,
    Json(request): Json<SegmentRequest>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_manage(&state, &claims, customer_id, Permission::CustomersSegment).await?;
    let command = CustomerCommand::AddSegment(fields::segment(&request.segment)?);
    let metadata = context.metadata_of(&claims);
    let outcome = execute(&state.customers, customer_id, command, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}

#[utoipa::path(
    delete,
    path = "/v1/customers/{id}/segments/{segment}",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The customer is not in the segment", body = Changed),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "The caller lacks customers:segment"),
        (status = 404, description = "No such customer, or another customer's id"),
        (status = 422, description = "Not a segment name (invalid_field)"),
    )
)]
pub async fn remove(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path((customer_id, segment)): Path<(Uuid, String)>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_manage(&state, &claims, customer_id, Permission::CustomersSegment).await?;
    let command = CustomerCommand::RemoveSegment(fields::segment(&segment)?);
    let metadata = context.metadata_of(&claims);
    let outcome = execute(&state.customers, customer_id, command, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}
