//! `GET /v1/principals/{id}/sessions`: the principal's active sessions (owner or
//! `sessions:read`), honouring `?min_version=`.

// utoipa expands `params(T)` into a fully qualified path to `T`.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use events::sessions::{SEALED_IP, SEALED_USER_AGENT};
use events::{Permission, PrincipalType};
use runtime::http::{Path, Query as QueryString};
use serde::{Deserialize, Serialize};
use store::session_cache::CachedSession;
use store::subject_keys::DataKey;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::QueryError;
use crate::lookup;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionsQuery {
    /// Answer from state at least this new (the version a command returned).
    #[param(minimum = 0)]
    #[serde(default, deserialize_with = "lookup::min_version")]
    pub min_version: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActiveSession {
    pub session_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    /// When the session ends if it keeps being used (its absolute lifetime).
    pub expires_at: DateTime<Utc>,
    /// When the session ends if it is not used (refreshed) before then.
    pub idle_expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/principals/{principal_id}/sessions",
    params(("principal_id" = Uuid, Path), SessionsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Active sessions, most recently used first", body = Vec<ActiveSession>),
        (status = 404, description = "Neither the owner nor a holder of sessions:read"),
        (status = 422, description = "min_version beyond the stream's version (version_not_reached)"),
        (status = 503, description = "Neither the cache nor the event store could be read; see Retry-After"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(principal_id): Path<Uuid>,
    QueryString(query): QueryString<SessionsQuery>,
) -> Response {
    if let Err(denied) = caller.may_read(principal_id, Permission::SessionsRead) {
        return denied.into_response();
    }
    let sessions = match lookup::sessions(&state, principal_id, query.min_version).await {
        Ok(sessions) => sessions,
        Err(error) => return error.into_response(),
    };
    let now = state.clock.now();
    let sessions: Vec<CachedSession> = sessions
        .into_iter()
        .filter(|s| s.principal_id == principal_id && s.is_active(now))
        .collect();
    let key = if sessions
        .iter()
        .any(|s| s.principal_type == PrincipalType::Customer)
    {
        match state.subjects.find(principal_id).await {
            Ok(key) => key,
            Err(error) => return QueryError::from(error).into_response(),
        }
    } else {
        None
    };
    let mut active: Vec<ActiveSession> = sessions
        .into_iter()
        .map(|s| {
            // A customer's are sealed with its key (and unreadable once it is gone).
            let idle_expires_at = s.idle_expires_at();
            let (user_agent, ip) = match s.principal_type {
                PrincipalType::User => (s.user_agent, s.ip),
                PrincipalType::Customer => (
                    open(key.as_ref(), SEALED_USER_AGENT, s.user_agent),
                    open(key.as_ref(), SEALED_IP, s.ip),
                ),
            };
            ActiveSession {
                session_id: s.session_id,
                created_at: s.started_at,
                last_used_at: s.last_used_at,
                expires_at: s.expires_at,
                idle_expires_at,
                user_agent,
                ip,
            }
        })
        .collect();
    active.sort_by_key(|s| std::cmp::Reverse(s.last_used_at));
    Json(active).into_response()
}

fn open(key: Option<&DataKey>, field: &str, sealed: Option<String>) -> Option<String> {
    key?.open(field, &sealed?).ok()
}
