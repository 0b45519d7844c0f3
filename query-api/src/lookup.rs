//! Sessions as the read side sees them: from the Redis cache when it holds them (new enough
//! for `?min_version=`, and Redis is the instance the cache was filled in), else folded from
//! the event store — the truth — and written back to the cache on the way (best effort: a
//! cache that is down only costs speed). The event store holds every committed version, so a
//! `min_version` beyond its head is refused at once.

use std::collections::BTreeMap;

use access::AccessClaims;
use store::session_cache::grants::Effective;
use store::session_cache::{self, CacheError, CachedSession};
use uuid::Uuid;

use crate::cache_metrics::Lookup;
use crate::error::QueryError;
use crate::state::AppState;

/// `?min_version=` as a query string carries it: a stream version, never negative (a negative
/// one is refused as a malformed query, 400 `invalid_query`).
pub fn min_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let version = <Option<i64> as serde::Deserialize>::deserialize(d)?;
    match version {
        Some(v) if v < 0 => Err(serde::de::Error::custom(
            "min_version is a stream version (0 or more)",
        )),
        other => Ok(other),
    }
}

/// What the cache holds for one token: its session and its principal's grants, each `None`
/// when the cache lacks it.
pub type Found = (Option<CachedSession>, Option<Effective>);

/// `claims` with the permissions its principal holds now in place of those its token was
/// issued with (a role may have lost one since, or the user been disabled), if the token's
/// session is active; `None` otherwise. One read of the cache answers both the session and
/// the grants; what it lacks, or holds older than `min_version`, comes from the event store.
pub async fn active_claims(
    state: &AppState,
    claims: AccessClaims,
    min_version: Option<i64>,
) -> Result<Option<AccessClaims>, QueryError> {
    let read = read_all(state, &[&claims]).await;
    let found = match read {
        Ok(mut found) => Ok(found.remove(0)),
        Err(ref error) => Err(error),
    };
    resolve(state, claims, min_version, found).await
}

/// What the cache holds for each of `tokens`, in one read.
pub async fn read_all(
    state: &AppState,
    tokens: &[&AccessClaims],
) -> Result<Vec<Found>, CacheError> {
    let pairs: Vec<(Uuid, Uuid)> = tokens.iter().map(|c| (c.sid, c.sub)).collect();
    state.cache.access_all(&pairs).await
}

/// [`active_claims`] from what [`read_all`] found for this token (or why it could not).
pub async fn resolve(
    state: &AppState,
    mut claims: AccessClaims,
    min_version: Option<i64>,
    found: Result<Found, &CacheError>,
) -> Result<Option<AccessClaims>, QueryError> {
    let (session, grants) = match found {
        Ok((session, grants)) => (Ok(session), grants),
        Err(error) => (Err(error), None),
    };
    let session = settle(state, claims.sub, claims.sid, min_version, session).await?;
    let now = state.clock.now();
    if !session.is_some_and(|s| s.principal_id == claims.sub && s.is_active(now)) {
        return Ok(None);
    }
    let effective = state
        .grants
        .effective_given(claims.sub, claims.principal_type, grants)
        .await?;
    claims.permissions = effective.permissions.into_iter().collect();
    Ok(Some(claims))
}

/// What the cache answered for one session, made sure: used when new enough for
/// `min_version`, else folded from the event store.
async fn settle(
    state: &AppState,
    principal_id: Uuid,
    session_id: Uuid,
    min_version: Option<i64>,
    cached: Result<Option<CachedSession>, &CacheError>,
) -> Result<Option<CachedSession>, QueryError> {
    let counted = &state.cache_metrics;
    match cached {
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
                counted.count(Lookup::Hit);
                return Ok(Some(session));
            }
            counted.count(Lookup::Stale);
        }
        Ok(None) | Err(CacheError::Distrusted) => counted.count(Lookup::Miss),
        Err(error) => {
            counted.count(Lookup::Unavailable);
            tracing::warn!(%error, "session cache unreadable; using the event store");
        }
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
    let counted = &state.cache_metrics;
    let cached = match state.cache.sessions_of(principal_id).await {
        Ok(Some((version, sessions))) if min_version.is_none_or(|v| version >= v) => {
            counted.count(Lookup::Hit);
            Some(sessions)
        }
        Ok(Some(_)) => {
            counted.count(Lookup::Stale);
            None
        }
        Ok(None) | Err(CacheError::Distrusted) => {
            counted.count(Lookup::Miss);
            None
        }
        Err(error) => {
            counted.count(Lookup::Unavailable);
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

/// Folds the principal's sessions from the event store and re-warms the cache with them;
/// a `min_version` the stream has not reached is refused.
async fn from_events(
    state: &AppState,
    principal_id: Uuid,
    min_version: Option<i64>,
) -> Result<BTreeMap<Uuid, CachedSession>, QueryError> {
    // Taken before reading, so a flush meanwhile keeps what was read out of the cache.
    let epoch = state.cache.epoch().await;
    let history = session_cache::history(state.store.as_ref(), principal_id).await?;
    if let Some(asked) = min_version.filter(|v| *v > history.version) {
        return Err(QueryError::invalid(
            "version_not_reached",
            format!(
                "min_version {asked} is beyond the stream's version {}",
                history.version
            ),
        ));
    }
    let rewarmed = match epoch {
        Ok(epoch) => state.cache.put_all(&history, &epoch).await,
        Err(error) => Err(error),
    };
    if let Err(error) = rewarmed {
        tracing::warn!(%error, "session cache not re-warmed");
    }
    Ok(history.sessions)
}
