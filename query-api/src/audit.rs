//! `GET /v1/audit/revocations` (`audit:read`): every session revocation with its reason,
//! metadata, actor, time and trace, answered by reading the revocation events from the event
//! store itself, newest first, in pages.

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header::LINK;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use events::sessions::{RevocationReason, SessionEvent};
use events::topics::Category;
use events::{EventFamily, Permission};
use runtime::http::Query as QueryString;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::QueryError;
use crate::revocations::Filter;
use crate::state::AppState;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    pub principal_id: Option<Uuid>,
    /// One of the revocation reasons.
    pub reason: Option<String>,
    /// Revocations recorded at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Revocations recorded before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// The `cursor` of the `Link: rel="next"` header of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revocation {
    pub event_id: Uuid,
    pub session_id: Uuid,
    pub principal_id: Uuid,
    pub reason: String,
    pub metadata: BTreeMap<String, String>,
    pub revoked_by: RevokedBy,
    pub revoked_at: DateTime<Utc>,
    /// The trace of the command that revoked the session, if it carried one.
    pub trace_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedBy {
    /// user, customer or system
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
}

#[utoipa::path(
    get,
    path = "/v1/audit/revocations",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revocations, newest first; a Link header points at the next page", body = Vec<Revocation>),
        (status = 403, description = "The caller lacks audit:read"),
        (status = 422, description = "Unknown reason, bad limit or cursor"),
    )
)]
pub async fn revocations(
    State(state): State<AppState>,
    caller: Caller,
    QueryString(query): QueryString<AuditQuery>,
) -> Response {
    if let Err(denied) = caller.require(Permission::AuditRead) {
        return denied.into_response();
    }
    match page(&state, &query).await {
        Ok((rows, next)) => {
            let mut response = Json(rows).into_response();
            if let Some(next) = next.and_then(|c| next_link(&query, &c).parse().ok()) {
                response.headers_mut().insert(LINK, next);
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn page(
    state: &AppState,
    query: &AuditQuery,
) -> Result<(Vec<Revocation>, Option<String>), QueryError> {
    if let Some(reason) = &query.reason {
        reason.parse::<RevocationReason>().map_err(|_| {
            QueryError::invalid("invalid_reason", format!("unknown reason {reason:?}"))
        })?;
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(QueryError::invalid(
            "invalid_limit",
            format!("limit is 1 to {MAX_LIMIT}"),
        ));
    }
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = Filter {
        stream_id: query.principal_id.map(|p| Category::Sessions.stream_id(p)),
        reason: query.reason.clone(),
        since: query.since,
        until: query.until,
        before: cursor,
        limit: limit + 1,
    };
    let rows = state.revocations.page(&filter).await?;
    let mut revocations = Vec::with_capacity(rows.len());
    let mut positions = Vec::with_capacity(rows.len());
    for (raw, position) in rows.iter().take(limit as usize) {
        let position = *position;
        let SessionEvent::Revoked(revoked) = SessionEvent::from_raw(raw)
            .map_err(|e| QueryError::Internal(e.to_string()))?
            .event
        else {
            continue;
        };
        let (kind, id) = revoked.revoked_by.parts();
        positions.push((raw.envelope.recorded_at, position));
        revocations.push(Revocation {
            event_id: raw.envelope.event_id,
            session_id: revoked.session_id,
            principal_id: store::session_cache::principal_of(&raw.envelope.stream_id)
                .unwrap_or_default(),
            reason: revoked.reason.as_str().to_owned(),
            metadata: revoked.metadata,
            revoked_by: RevokedBy { kind, id },
            revoked_at: revoked.revoked_at,
            trace_id: trace_id(&raw.envelope.metadata),
        });
    }
    let next = (rows.len() as i64 > limit)
        .then(|| positions.last().map(|(at, pos)| encode_cursor(*at, *pos)))
        .flatten();
    Ok((revocations, next))
}

/// The trace id of the command that appended an event, from its W3C `traceparent`.
pub(crate) fn trace_id(metadata: &events::EventMetadata) -> Option<String> {
    metadata
        .traceparent
        .as_deref()
        .and_then(|tp| tp.split('-').nth(1))
        .map(str::to_owned)
}

/// An opaque page cursor: the (recorded_at, position) of a page's last event.
pub(crate) fn encode_cursor(recorded_at: DateTime<Utc>, position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{position}", recorded_at.timestamp_micros()))
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, i64), QueryError> {
    let invalid = || QueryError::invalid("invalid_cursor", "the cursor is not one this API gave");
    let text = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(text).map_err(|_| invalid())?;
    let (micros, position) = text.split_once(':').ok_or_else(invalid)?;
    let at = micros
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    Ok((at, position.parse().map_err(|_| invalid())?))
}

/// The same query with the next page's cursor, as an RFC 8288 link.
fn next_link(query: &AuditQuery, cursor: &str) -> String {
    let mut params = vec![format!("cursor={cursor}")];
    if let Some(p) = query.principal_id {
        params.push(format!("principal_id={p}"));
    }
    if let Some(r) = &query.reason {
        params.push(format!("reason={r}"));
    }
    for (name, at) in [("since", query.since), ("until", query.until)] {
        if let Some(at) = at {
            params.push(format!(
                "{name}={}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                    .replace('+', "%2B")
            ));
        }
    }
    if let Some(limit) = query.limit {
        params.push(format!("limit={limit}"));
    }
    format!("</v1/audit/revocations?{}>; rel=\"next\"", params.join("&"))
}
