//! `PUT /v1/customers/{id}/preferences`: the customer itself, or a holder of `customers:write`,
//! sets marketing consents per channel and the locale. Channels left out keep their consent;
//! each consent that changes is recorded with its time (the consent history); `locale: null`
//! clears the locale.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Permission;
use events::customers::Channel;
use runtime::http::{Json, Path};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::profile::{Changed, given};
use super::{CustomersState, may_act_on};
use crate::customers::{CustomerCommand, Preferences, execute, fields};
use crate::http::{ApiError, Bearer, RequestContext};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesRequest {
    pub marketing_email: Option<bool>,
    pub marketing_sms: Option<bool>,
    pub marketing_push: Option<bool>,
    /// A BCP 47 tag such as de-CH; `null` clears it.
    #[serde(default, deserialize_with = "given")]
    #[schema(value_type = Option<String>)]
    pub locale: Option<Option<String>>,
}

#[utoipa::path(
    put,
    path = "/v1/customers/{id}/preferences",
    security(("bearer" = [])),
    request_body = PreferencesRequest,
    responses(
        (status = 200, description = "Preferences set (the version is unchanged if nothing changed)", body = Changed),
        (status = 401, description = "No valid bearer token, or its session ended"),
        (status = 403, description = "A user lacking customers:write"),
        (status = 404, description = "No such customer, or another customer's id"),
        (status = 422, description = "The locale is not a BCP 47 tag (invalid_field)"),
    )
)]
pub async fn set(
    State(state): State<CustomersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(customer_id): Path<Uuid>,
    Json(request): Json<PreferencesRequest>,
) -> Result<JsonResponse<Changed>, ApiError> {
    may_act_on(&state, &claims, customer_id, Permission::CustomersWrite).await?;
    let consents = [
        (Channel::Email, request.marketing_email),
        (Channel::Sms, request.marketing_sms),
        (Channel::Push, request.marketing_push),
    ]
    .into_iter()
    .filter_map(|(channel, granted)| Some((channel, granted?)))
    .collect();
    let locale = request
        .locale
        .map(|locale| locale.as_deref().map(fields::locale).transpose())
        .transpose()?;
    let command = CustomerCommand::SetPreferences(Preferences { consents, locale });
    let metadata = context.metadata_of(&claims);
    let outcome = execute(&state.customers, customer_id, command, metadata).await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}
