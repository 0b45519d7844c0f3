//! `POST /v1/roles`: a holder of `roles:write` creates a role granting permissions from the
//! closed set.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use events::Permission;
use runtime::http::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::RolesState;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::roles::fields::{Description, RoleName};
use crate::roles::{RoleCommand, RoleDefinition, execute};
use crate::sessions::routes::require_permission;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRole {
    /// 1 to 64 letters, digits, spaces, '-', '_' or '.'; unique regardless of case.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// From the closed set, e.g. `users:read`.
    pub permissions: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub role_id: Uuid,
    /// The role's stream version.
    pub version: i64,
}

#[utoipa::path(
    post,
    path = "/v1/roles",
    security(("bearer" = [])),
    request_body = CreateRole,
    responses(
        (status = 201, description = "Role created", body = Created),
        (status = 403, description = "The caller lacks roles:write"),
        (status = 409, description = "Another role has this name, in any case (role_name_taken)"),
        (status = 422, description = "A field breaks its rule (invalid_field names it)"),
    )
)]
pub async fn create(
    State(state): State<RolesState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Json(request): Json<CreateRole>,
) -> Result<(StatusCode, JsonResponse<Created>), ApiError> {
    require_permission(&state.sessions, &claims, Permission::RolesWrite).await?;
    let name = RoleName::parse(&request.name)?;
    let description = Description::parse(&request.description)?;
    let permissions = request
        .permissions
        .iter()
        .map(|p| p.parse::<Permission>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::InvalidField {
            field: "permissions",
            detail: e.to_string(),
        })?;
    let role_id = Uuid::now_v7();
    let command = RoleCommand::Create(RoleDefinition {
        role_id,
        name,
        description,
        permissions,
    });
    let outcome = execute(&state.roles, role_id, command, context.metadata_of(&claims)).await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(Created {
            role_id,
            version: outcome.version,
        }),
    ))
}
