//! A holder of `roles:write` changes a role: `PATCH /v1/roles/{id}` (name, description),
//! `POST /v1/roles/{id}/permissions`, `DELETE /v1/roles/{id}/permissions/{permission}` and
//! `DELETE /v1/roles/{id}`. A deleted role grants nothing from its commit on and answers 404 to
//! every later change.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Permission;
use runtime::http::{Json, Path};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::RolesState;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::roles::fields::{Description, RoleName};
use crate::roles::{RoleChange, RoleCommand, execute};
use crate::sessions::routes::require_permission;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRole {
    /// Unique regardless of case, like a new role's.
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GrantPermission {
    /// From the closed set, e.g. `users:read`.
    pub permission: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleChanged {
    /// The role's stream version after the command (unchanged if it changed nothing).
    pub version: i64,
}

#[utoipa::path(
    patch,
    path = "/v1/roles/{id}",
    security(("bearer" = [])),
    request_body = EditRole,
    responses(
        (status = 200, description = "Role changed", body = RoleChanged),
        (status = 403, description = "The caller lacks roles:write"),
        (status = 404, description = "No such role, or a deleted one"),
        (status = 409, description = "Another role has this name (role_name_taken)"),
        (status = 422, description = "A field breaks its rule, or none is given"),
    )
)]
pub async fn edit(
    State(state): State<RolesState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(role_id): Path<Uuid>,
    Json(request): Json<EditRole>,
) -> Result<JsonResponse<RoleChanged>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::RolesWrite).await?;
    let mut changes = Vec::new();
    if let Some(name) = request.name {
        changes.push(RoleChange::Rename(RoleName::parse(&name)?));
    }
    if let Some(description) = request.description {
        changes.push(RoleChange::Describe(Description::parse(&description)?));
    }
    if changes.is_empty() {
        return Err(ApiError::Invalid("give name, description or both".into()));
    }
    run(
        &state,
        &context,
        &claims,
        role_id,
        RoleCommand::Edit(changes),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/roles/{id}/permissions",
    security(("bearer" = [])),
    request_body = GrantPermission,
    responses(
        (status = 200, description = "The role grants the permission", body = RoleChanged),
        (status = 403, description = "The caller lacks roles:write"),
        (status = 404, description = "No such role, or a deleted one"),
        (status = 422, description = "Not a permission of the closed set"),
    )
)]
pub async fn grant(
    State(state): State<RolesState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(role_id): Path<Uuid>,
    Json(request): Json<GrantPermission>,
) -> Result<JsonResponse<RoleChanged>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::RolesWrite).await?;
    let permission = parse_permission(&request.permission)?;
    let change = RoleCommand::Change(RoleChange::Grant(permission));
    run(&state, &context, &claims, role_id, change).await
}

#[utoipa::path(
    delete,
    path = "/v1/roles/{id}/permissions/{permission}",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The role no longer grants the permission", body = RoleChanged),
        (status = 403, description = "The caller lacks roles:write"),
        (status = 404, description = "No such role, or a deleted one"),
        (status = 422, description = "Not a permission of the closed set"),
    )
)]
pub async fn revoke(
    State(state): State<RolesState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path((role_id, permission)): Path<(Uuid, String)>,
) -> Result<JsonResponse<RoleChanged>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::RolesWrite).await?;
    let permission = parse_permission(&permission)?;
    let change = RoleCommand::Change(RoleChange::Revoke(permission));
    run(&state, &context, &claims, role_id, change).await
}

#[utoipa::path(
    delete,
    path = "/v1/roles/{id}",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Role deleted; it grants nothing any more", body = RoleChanged),
        (status = 403, description = "The caller lacks roles:write"),
        (status = 404, description = "No such role, or one deleted already"),
    )
)]
pub async fn delete(
    State(state): State<RolesState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(role_id): Path<Uuid>,
) -> Result<JsonResponse<RoleChanged>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::RolesWrite).await?;
    let change = RoleCommand::Change(RoleChange::Delete);
    run(&state, &context, &claims, role_id, change).await
}

fn parse_permission(raw: &str) -> Result<Permission, ApiError> {
    raw.parse()
        .map_err(|e: events::EventError| ApiError::InvalidField {
            field: "permission",
            detail: e.to_string(),
        })
}

async fn run(
    state: &RolesState,
    context: &RequestContext,
    claims: &access::AccessClaims,
    role_id: Uuid,
    command: RoleCommand,
) -> Result<JsonResponse<RoleChanged>, ApiError> {
    let outcome = execute(&state.roles, role_id, command, context.metadata_of(claims)).await?;
    Ok(JsonResponse(RoleChanged {
        version: outcome.version,
    }))
}
