//! `GET /v1/roles` and `GET /v1/roles/{id}` (`roles:read`): roles with their permissions, and
//! one role with the users holding it, from the directory read model.

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use events::Permission;
use events::topics::Category;
use runtime::http::{Path, Problem, Query as QueryString};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Holder, RoleView};
use crate::auth::Caller;
use crate::error::QueryError;
use crate::lookup;
use crate::paging::{decode_cursor, page_size, paged};
use crate::reach::reach;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct RolesQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RolePage {
    pub items: Vec<RoleView>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDetail {
    #[serde(flatten)]
    pub role: RoleView,
    /// The users holding the role, in registration order.
    pub holders: Vec<Holder>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RoleQuery {
    /// Answer from state at least this new (the version a command on the role returned).
    #[param(minimum = 0)]
    #[serde(default, deserialize_with = "lookup::min_version")]
    pub min_version: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/v1/roles",
    params(RolesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Roles in creation order", body = RolePage),
        (status = 403, description = "The caller lacks roles:read"),
        (status = 422, description = "Bad limit or cursor"),
        (status = 503, description = "The directory could not be read; see Retry-After"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryString(query): QueryString<RolesQuery>,
) -> Response {
    if let Err(denied) = caller.require(Permission::RolesRead) {
        return denied.into_response();
    }
    let page = async {
        let limit = page_size(query.limit)?;
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let roles = state.directory.roles(after, limit + 1).await?;
        let (items, next_cursor) = paged(roles, limit, |r| r.role_id);
        Ok::<_, QueryError>(RolePage { items, next_cursor })
    };
    match page.await {
        Ok(page) => Json(page).into_response(),
        Err(error) => error.into_response(),
    }
}

#[utoipa::path(
    get,
    path = "/v1/roles/{role_id}",
    params(("role_id" = Uuid, Path), RoleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The role and the users holding it", body = RoleDetail),
        (status = 403, description = "The caller lacks roles:read"),
        (status = 404, description = "No such role, or deleted"),
        (status = 422, description = "min_version beyond the stream's version (version_not_reached)"),
        (status = 503, description = "The directory has not reached min_version in time, or could not be read; see Retry-After"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(role_id): Path<Uuid>,
    QueryString(query): QueryString<RoleQuery>,
) -> Response {
    if let Err(denied) = caller.require(Permission::RolesRead) {
        return denied.into_response();
    }
    let detail = async {
        reach(
            state.store.as_ref(),
            state.directory.as_ref(),
            &Category::Roles.stream_id(role_id),
            query.min_version,
        )
        .await?;
        let Some(role) = state.directory.role(role_id).await? else {
            return Ok(None);
        };
        let holders = state.directory.holders(role_id).await?;
        Ok::<_, QueryError>(Some(RoleDetail { role, holders }))
    };
    match detail.await {
        Ok(Some(detail)) => Json(detail).into_response(),
        Ok(None) => Problem::not_found("no such role").into_response(),
        Err(error) => error.into_response(),
    }
}
