//! Sessions as the read side sees them: from the Redis cache when it holds them (new enough
//! for `?min_version=`), else folded from the event store — the truth — and written back to
//! the cache on the way (best effort: a cache that is down only costs speed).

use std::collections::BTreeMap;
use std::time::Duration;

use store::session_cache::{self, CachedSession};
use uuid::Uuid;

use crate::error::QueryError;
use crate::state::AppState;

/// Longest wait for a `min_version` the event store does not have yet.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// One session of `principal_id`.
pub async fn session(
    state: &AppState,
    principal_id: Uuid,
    session_id: Uuid,
    min_version: Option<i64>,
) -> Result<Option<CachedSession>, QueryError> {
    match state.cache.get(session_id).await {
        Ok(Some(session)) => {
            // An entry is at the version of the last event that changed it; later events of
            // the stream that did not touch it count once the cache has applied them.
            let fresh = match min_version {
                Some(v) if session.version < v => state
                    .cache
                    .applied_version(principal_id)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|applied| applied >= v),
                _ => true,
            };
            if fresh {
                return Ok(Some(session));
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "session cache unreadable; using the event store"),
    }
    Ok(from_events(state, principal_id, min_version)
        .await?
        .remove(&session_id))
}

/// Every session of `principal_id`.
pub async fn sessions(
    state: &AppState,
    principal_id: Uuid,
    min_version: Option<i64>,
) -> Result<Vec<CachedSession>, QueryError> {
    let cached = match state.cache.sessions_of(principal_id).await {
        Ok(Some((version, sessions))) if min_version.is_none_or(|v| version >= v) => Some(sessions),
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(%error, "session cache unreadable; using the event store");
            None
        }
    };
    match cached {
        Some(sessions) => Ok(sessions),
        None => Ok(from_events(state, principal_id, min_version)
            .await?
            .into_values()
            .collect()),
    }
}

/// Folds the principal's sessions from the event store, waiting (bounded) for `min_version`,
/// and re-warms the cache with them.
async fn from_events(
    state: &AppState,
    principal_id: Uuid,
    min_version: Option<i64>,
) -> Result<BTreeMap<Uuid, CachedSession>, QueryError> {
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    // Taken before reading, so a flush meanwhile keeps what was read out of the cache.
    let epoch = state.cache.epoch().await;
    loop {
        let history = session_cache::history(state.store.as_ref(), principal_id).await?;
        if min_version.is_none_or(|v| history.version >= v) {
            let rewarmed = match epoch {
                Ok(epoch) => state.cache.put_all(&history, &epoch).await,
                Err(error) => Err(error),
            };
            if let Err(error) = rewarmed {
                tracing::warn!(%error, "session cache not re-warmed");
            }
            return Ok(history.sessions);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(QueryError::NotYetVisible);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
