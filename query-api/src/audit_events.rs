//! `GET /v1/audit/events` (`audit:read`): the trail of who changed what — every event of the
//! store with its actor, trace and metadata, filtered by stream, category, type, actor and
//! time, newest first, in keyset pages (`{items, next_cursor}`).

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use events::topics::Category;
use events::{Actor, Permission};
use runtime::http::Query as QueryString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::audit::{decode_cursor, encode_cursor, trace_id};
use crate::auth::Caller;
use crate::error::QueryError;
use crate::event_log::EventFilter;
use crate::paging::page_size;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventQuery {
    /// One stream, e.g. `user-<id>`.
    pub stream: Option<String>,
    /// sessions, users, roles or customers.
    pub category: Option<String>,
    /// An event type, e.g. `role.permission_revoked.v1`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// The actor's id: a principal id, or a platform component's name.
    pub actor_id: Option<String>,
    /// Events recorded at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Events recorded before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<AuditedEvent>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditedEvent {
    pub event_id: Uuid,
    pub stream_id: String,
    pub version: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub recorded_at: DateTime<Utc>,
    /// Who caused it: `{type: user|customer|system, id}`; null if unknown.
    #[schema(value_type = Option<Object>)]
    pub actor: Option<Actor>,
    pub trace_id: Option<String>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    /// What happened (the event's fields).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[utoipa::path(
    get,
    path = "/v1/audit/events",
    params(EventQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Events, newest first", body = EventPage),
        (status = 403, description = "The caller lacks audit:read"),
        (status = 422, description = "Unknown category, bad limit or cursor"),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    QueryString(query): QueryString<EventQuery>,
) -> Response {
    if let Err(denied) = caller.require(Permission::AuditRead) {
        return denied.into_response();
    }
    match page(&state, query).await {
        Ok(page) => Json(page).into_response(),
        Err(error) => error.into_response(),
    }
}

fn category(name: &str) -> Result<Category, QueryError> {
    Category::ALL
        .into_iter()
        .find(|c| {
            c.topic()
                .strip_prefix("identity.")
                .and_then(|t| t.strip_suffix(".v1"))
                == Some(name)
        })
        .ok_or_else(|| {
            QueryError::invalid(
                "invalid_category",
                format!("unknown category {name:?} (sessions, users, roles or customers)"),
            )
        })
}

async fn page(state: &AppState, query: EventQuery) -> Result<EventPage, QueryError> {
    let limit = page_size(query.limit)?;
    let filter = EventFilter {
        stream_prefix: query
            .category
            .as_deref()
            .map(category)
            .transpose()?
            .map(Category::stream_prefix),
        stream_id: query.stream,
        event_type: query.event_type,
        actor_id: query.actor_id,
        since: query.since,
        until: query.until,
        before: query.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let rows = state.events.search(&filter).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = more
        .then(|| rows.last())
        .flatten()
        .map(|(raw, position)| encode_cursor(raw.envelope.recorded_at, *position));
    let items = rows
        .iter()
        .map(|(raw, _)| AuditedEvent {
            event_id: raw.envelope.event_id,
            stream_id: raw.envelope.stream_id.clone(),
            version: raw.envelope.version,
            event_type: raw.event_type.clone(),
            recorded_at: raw.envelope.recorded_at,
            actor: raw.envelope.metadata.actor.clone(),
            trace_id: trace_id(&raw.envelope.metadata),
            correlation_id: raw.envelope.metadata.correlation_id,
            causation_id: raw.envelope.metadata.causation_id,
            payload: raw.payload.clone(),
        })
        .collect();
    Ok(EventPage { items, next_cursor })
}
