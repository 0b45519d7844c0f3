//! `GET /v1/customers/{id}`: a customer's account (profile, addresses, preferences, segments)
//! from the customer directory, for the customer itself or a holder of `customers:read`.
//! Another customer's id, an erased customer and one that never was answer the same 404.

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use events::Permission;
use events::topics::Category;
use runtime::http::{Path, Problem, Query as QueryString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::export::may_read;
use crate::auth::Caller;
use crate::error::QueryError;
use crate::lookup;
use crate::reach::reach;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerView {
    pub customer_id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Each address's fields (line1, line2, city, postal_code, region, country, recipient)
    /// with its `address_id`, `default_shipping` and `default_billing`.
    #[schema(value_type = Vec<Object>)]
    pub addresses: Vec<Value>,
    pub preferences: Preferences,
    pub segments: Vec<String>,
    pub signed_up_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The version of the customer's stream this answer reflects.
    pub version: i64,
}

/// As `PUT /v1/customers/{id}/preferences` sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Preferences {
    pub marketing_email: bool,
    pub marketing_sms: bool,
    pub marketing_push: bool,
    pub locale: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CustomerQuery {
    /// Answer from state at least this new (the version a command on the customer returned).
    #[param(minimum = 0)]
    #[serde(default, deserialize_with = "lookup::min_version")]
    pub min_version: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/v1/customers/{id}",
    params(("id" = Uuid, Path), CustomerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The customer's profile, addresses, preferences and segments", body = CustomerView),
        (status = 403, description = "A user lacking customers:read"),
        (status = 404, description = "No such customer (or erased), or another customer's id"),
        (status = 422, description = "min_version beyond the stream's version (version_not_reached)"),
        (status = 503, description = "The customer directory has not reached min_version in time, or could not be read; see Retry-After"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(customer_id): Path<Uuid>,
    QueryString(query): QueryString<CustomerQuery>,
) -> Response {
    if let Err(denied) = may_read(&caller, customer_id, Permission::CustomersRead) {
        return denied.into_response();
    }
    let stream_id = Category::Customers.stream_id(customer_id);
    let customers = state.customers.as_ref();
    let found = match reach(
        state.store.as_ref(),
        customers,
        &stream_id,
        query.min_version,
    )
    .await
    {
        Ok(()) => customers.customer(customer_id).await,
        Err(error) => return error.into_response(),
    };
    match found {
        Ok(Some(customer)) => Json(customer).into_response(),
        Ok(None) => Problem::not_found("no such customer").into_response(),
        Err(error) => QueryError::from(error).into_response(),
    }
}
