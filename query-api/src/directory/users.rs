//! `GET /v1/users` and `GET /v1/users/{id}` (`users:read`): admin users with their live roles
//! and effective permissions, from the directory read model.

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use events::Permission;
use events::topics::Category;
use runtime::http::{Path, Problem, Query as QueryString};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{UserFilter, UserView};
use crate::auth::Caller;
use crate::error::QueryError;
use crate::lookup;
use crate::paging::{decode_cursor, page_size, paged};
use crate::reach::reach;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct UsersQuery {
    /// Only holders of this role (its id).
    pub role: Option<Uuid>,
    /// A prefix of the email or of the display name, compared case-insensitively.
    pub q: Option<String>,
    /// Only disabled (`true`) or enabled (`false`) users.
    pub disabled: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    /// Answer from state at least this new (the version a command on the user returned).
    #[param(minimum = 0)]
    #[serde(default, deserialize_with = "lookup::min_version")]
    pub min_version: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/v1/users",
    params(UsersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Users in registration order", body = UserPage),
        (status = 403, description = "The caller lacks users:read"),
        (status = 422, description = "Bad limit, cursor or q"),
        (status = 503, description = "The directory could not be read; see Retry-After"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryString(query): QueryString<UsersQuery>,
) -> Response {
    if let Err(denied) = caller.require(Permission::UsersRead) {
        return denied.into_response();
    }
    match page(&state, query).await {
        Ok(page) => Json(page).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn page(state: &AppState, query: UsersQuery) -> Result<UserPage, QueryError> {
    let limit = page_size(query.limit)?;
    if query
        .q
        .as_deref()
        .is_some_and(|q| q.chars().any(char::is_control))
    {
        return Err(QueryError::invalid(
            "invalid_q",
            "q holds no control characters",
        ));
    }
    let filter = UserFilter {
        role_id: query.role,
        // Emails are stored trimmed, NFKC-normalised and lower-cased; the prefix is too.
        prefix: query
            .q
            .map(|q| q.trim().nfkc().collect::<String>().to_lowercase())
            .filter(|q| !q.is_empty()),
        disabled: query.disabled,
        after: query.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let users = state.directory.users(&filter).await?;
    let (items, next_cursor) = paged(users, limit, |u| u.user_id);
    Ok(UserPage { items, next_cursor })
}

#[utoipa::path(
    get,
    path = "/v1/users/{user_id}",
    params(("user_id" = Uuid, Path), UserQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user, its roles and effective permissions", body = UserView),
        (status = 403, description = "The caller lacks users:read"),
        (status = 404, description = "No such user"),
        (status = 422, description = "min_version beyond the stream's version (version_not_reached)"),
        (status = 503, description = "The directory has not reached min_version in time, or could not be read; see Retry-After"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<Uuid>,
    QueryString(query): QueryString<UserQuery>,
) -> Response {
    if let Err(denied) = caller.require(Permission::UsersRead) {
        return denied.into_response();
    }
    let stream_id = Category::Users.stream_id(user_id);
    let found = match reach(
        state.store.as_ref(),
        state.directory.as_ref(),
        &stream_id,
        query.min_version,
    )
    .await
    {
        Ok(()) => state.directory.user(user_id).await,
        Err(error) => return error.into_response(),
    };
    match found {
        Ok(Some(user)) => Json(user).into_response(),
        Ok(None) => Problem::not_found("no such user").into_response(),
        Err(error) => QueryError::from(error).into_response(),
    }
}
