//! A holder of `roles:assign` gives a user a role (`POST /v1/users/{id}/roles`) or takes it
//! back (`DELETE /v1/users/{id}/roles/{role_id}`). Only a live role can be given; one deleted
//! meanwhile fails the assignment with 404 and nothing is written.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Permission;
use events::topics::Category;
use runtime::http::{Json, Path};
use serde::Deserialize;
use store::aggregate::load;
use utoipa::ToSchema;
use uuid::Uuid;

use super::UsersState;
use super::edit::Changed;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::roles::Role;
use crate::sessions::routes::require_permission;
use crate::users::{Beside, UserChange, UserCommand, execute};

#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRole {
    pub role_id: Uuid,
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/roles",
    security(("bearer" = [])),
    request_body = AssignRole,
    responses(
        (status = 200, description = "The user holds the role", body = Changed),
        (status = 403, description = "The caller lacks roles:assign"),
        (status = 404, description = "No such user, or no such live role"),
    )
)]
pub async fn assign(
    State(state): State<UsersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(user_id): Path<Uuid>,
    Json(request): Json<AssignRole>,
) -> Result<JsonResponse<Changed>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::RolesAssign).await?;
    let stream = Category::Roles.stream_id(request.role_id);
    let (role, _) = load::<Role>(&state.users.ports, &stream)
        .await
        .map_err(ApiError::from)?;
    if !role.is_live() {
        return Err(ApiError::NotFound("role"));
    }
    let change = UserChange::AssignRole(request.role_id);
    run(&state, &context, &claims, user_id, change).await
}

#[utoipa::path(
    delete,
    path = "/v1/users/{id}/roles/{role_id}",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user no longer holds the role", body = Changed),
        (status = 403, description = "The caller lacks roles:assign"),
        (status = 404, description = "No such user"),
    )
)]
pub async fn unassign(
    State(state): State<UsersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path((user_id, role_id)): Path<(Uuid, Uuid)>,
) -> Result<JsonResponse<Changed>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::RolesAssign).await?;
    let change = UserChange::UnassignRole(role_id);
    run(&state, &context, &claims, user_id, change).await
}

async fn run(
    state: &UsersState,
    context: &RequestContext,
    claims: &access::AccessClaims,
    user_id: Uuid,
    change: UserChange,
) -> Result<JsonResponse<Changed>, ApiError> {
    let outcome = execute(
        &state.users,
        user_id,
        UserCommand::Change(change),
        Beside::default(),
        context.metadata_of(claims),
    )
    .await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}
