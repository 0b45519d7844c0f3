//! `DELETE /v1/customers/{id}`: the customer itself, or a holder of `customers:erase`, erases a
//! customer (GDPR Art. 17). Its data key, credential and email reservation go with
//! `customer.erased` in one transaction, its sessions end with `PRINCIPAL_ERASED`. Erasing
//! again answers the same.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use events::Permission;
use runtime::http::Path;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{CustomersState, may_act_on};
use crate::customers::{CustomerCommand, execute};
use crate::http::{ApiError, Bearer, RequestContext};

#[derive(Debug, Serialize, ToSchema)]
pub struct Erased {
    pub erased_at: DateTime<Utc>,
}

#[utoipa::path(
    delete,
    path = "/v1/customers/{id}",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Erased (or erased before: the same answer)", body = Erased),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "A user lacking customers:erase"),
        (status = 404, description = "No such customer, or another customer's id"),
    )
)]
pub async fn erase(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(customer_id): Path<Uuid>,
) -> Result<(StatusCode, JsonResponse<Erased>), ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersErase).await?;
    let outcome = execute(
        &state.customers,
        customer_id,
        CustomerCommand::Erase,
        context.metadata_of(&claims),
    )
    .await?;
    let erased_at = outcome
        .state
        .erased_at
        .ok_or_else(|| ApiError::Internal("an erasure left no erasure time".into()))?;
    Ok((StatusCode::ACCEPTED, JsonResponse(Erased { erased_at })))
}
