//! A holder of `users:write` edits a user: `PATCH /v1/users/{id}` (display name, email),
//! `POST /v1/users/{id}/disable` (every session of the user ends, reason `PRINCIPAL_DISABLED`,
//! and its logins are refused like a wrong password) and `POST /v1/users/{id}/enable`.

use axum::Json as JsonResponse;
use axum::extract::State;
use events::Permission;
use runtime::http::{Json, Path};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::UsersState;
use crate::http::{ApiError, Bearer, RequestContext};
use crate::sessions::routes::require_permission;
use crate::users::fields::{DisplayName, Email};
use crate::users::{Beside, UserChange, UserCommand, execute};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditUser {
    pub display_name: Option<String>,
    /// The new login; unique across every principal, like a registration's.
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Changed {
    /// The user's stream version after the command (unchanged if it changed nothing).
    pub version: i64,
}

#[utoipa::path(
    patch,
    path = "/v1/users/{id}",
    security(("bearer" = [])),
    request_body = EditUser,
    responses(
        (status = 200, description = "User changed", body = Changed),
        (status = 403, description = "The caller lacks users:write"),
        (status = 404, description = "No such user"),
        (status = 409, description = "Another account uses this email (email_taken)"),
        (status = 422, description = "A field breaks its rule, or none is given"),
    )
)]
pub async fn edit(
    State(state): State<UsersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(user_id): Path<Uuid>,
    Json(request): Json<EditUser>,
) -> Result<JsonResponse<Changed>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::UsersWrite).await?;
    let mut changes = Vec::new();
    if let Some(name) = request.display_name {
        changes.push(UserChange::DisplayName(DisplayName::parse(&name)?));
    }
    if let Some(email) = request.email {
        changes.push(UserChange::Email(Email::parse(&email)?));
    }
    if changes.is_empty() {
        return Err(ApiError::Invalid("give display_name, email or both".into()));
    }
    let metadata = context.metadata_of(&claims);
    let outcome = execute(
        &state.users,
        user_id,
        UserCommand::Edit(changes),
        Beside::default(),
        metadata,
    )
    .await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/disable",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "User disabled; every session of it ended", body = Changed),
        (status = 403, description = "The caller lacks users:write"),
        (status = 404, description = "No such user"),
    )
)]
pub async fn disable(
    state: State<UsersState>,
    context: RequestContext,
    bearer: Bearer,
    user_id: Path<Uuid>,
) -> Result<JsonResponse<Changed>, ApiError> {
    status(state, context, bearer, user_id, UserChange::Disable).await
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/enable",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "User enabled; it can log in again", body = Changed),
        (status = 403, description = "The caller lacks users:write"),
        (status = 404, description = "No such user"),
    )
)]
pub async fn enable(
    state: State<UsersState>,
    context: RequestContext,
    bearer: Bearer,
    user_id: Path<Uuid>,
) -> Result<JsonResponse<Changed>, ApiError> {
    status(state, context, bearer, user_id, UserChange::Enable).await
}

async fn status(
    State(state): State<UsersState>,
    context: RequestContext,
    Bearer(claims): Bearer,
    Path(user_id): Path<Uuid>,
    change: UserChange,
) -> Result<JsonResponse<Changed>, ApiError> {
    require_permission(&state.sessions, &claims, Permission::UsersWrite).await?;
    let metadata = context.metadata_of(&claims);
    let outcome = execute(
        &state.users,
        user_id,
        UserCommand::Change(change),
        Beside::default(),
        metadata,
    )
    .await?;
    Ok(JsonResponse(Changed {
        version: outcome.version,
    }))
}
