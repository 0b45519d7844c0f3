//! `GET /v1/segments/{segment}/customers` (`customers:read`): the ids of a segment's members,
//! a page at a time in id order (keyset: the cursor is the last id of the previous page).

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use events::Permission;
use events::customers::is_segment_name;
use runtime::http::{Path, Query as QueryString};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::QueryError;
use crate::paging::{decode_cursor, page_size, paged};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SegmentQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentPage {
    /// Customer ids, in id order.
    pub items: Vec<Uuid>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/segments/{segment}/customers",
    params(("segment" = String, Path), SegmentQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The segment's members in id order", body = SegmentPage),
        (status = 403, description = "The caller lacks customers:read (customers never hold it)"),
        (status = 422, description = "Not a segment name, or a bad limit or cursor"),
        (status = 503, description = "The customer directory could not be read; see Retry-After"),
    )
)]
pub async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(segment): Path<String>,
    QueryString(query): QueryString<SegmentQuery>,
) -> Response {
    if let Err(denied) = caller.require(Permission::CustomersRead) {
        return denied.into_response();
    }
    match page(&state, &segment, query).await {
        Ok(page) => Json(page).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn page(
    state: &AppState,
    segment: &str,
    query: SegmentQuery,
) -> Result<SegmentPage, QueryError> {
    if !is_segment_name(segment) {
        return Err(QueryError::invalid(
            "invalid_segment",
            "a segment is a lower-case letter, then lower-case letters, digits, - or _; at most 64",
        ));
    }
    let limit = page_size(query.limit)?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let ids = state
        .customers
        .in_segment(segment, after, limit + 1)
        .await?;
    let (items, next_cursor) = paged(ids, limit, |id| *id);
    Ok(SegmentPage { items, next_cursor })
}
