//! A principal's sessions folded from the event store: the truth the cache holds a copy of.
//! The read side keeps its own snapshot of the fold (format [`HISTORY_SNAPSHOT_FORMAT`]), so a read
//! that misses the cache replays only the events after it, not the whole stream; sessions
//! past their absolute expiry (and the retention of ended entries) are left out, as the
//! cache lets them expire.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use events::EventFamily;
use events::sessions::SessionEvent;
use events::topics::Category;
use uuid::Uuid;

use super::{CacheError, CachedSession, ENDED_RETENTION, SessionSource, fold_onto};

/// The read side's snapshot of a sessions stream (the command side's aggregate uses others).
pub const HISTORY_SNAPSHOT_FORMAT: i32 = 1001;
/// A fold that replayed this many events after the snapshot saves a new one.
const SNAPSHOT_EVERY: usize = 64;

/// The principal of a `sessions-<principal_id>` stream.
pub fn principal_of(stream_id: &str) -> Option<Uuid> {
    stream_id
        .strip_prefix(Category::Sessions.stream_prefix())?
        .strip_prefix('-')?
        .parse()
        .ok()
}

/// Every session of `principal_id`, folded from the event store: the truth the cache holds a
/// copy of.
pub async fn from_events(
    store: &dyn SessionSource,
    principal_id: Uuid,
) -> Result<BTreeMap<Uuid, CachedSession>, CacheError> {
    Ok(history(store, principal_id).await?.sessions)
}

/// A principal's sessions as of a stream version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub principal_id: Uuid,
    pub sessions: BTreeMap<Uuid, CachedSession>,
    /// The stream's version the sessions were folded at.
    pub version: i64,
}

/// Every session of `principal_id` that can still be cached, folded from the read side's
/// snapshot and the events after it, with the stream's version.
pub async fn history(store: &dyn SessionSource, principal_id: Uuid) -> Result<History, CacheError> {
    let stream = Category::Sessions.stream_id(principal_id);
    let (snapshot, mut tail) = store
        .read_from_snapshot(&stream, HISTORY_SNAPSHOT_FORMAT)
        .await?;
    let (mut sessions, mut version) = match snapshot.map(|(v, json)| (v, parse(&json))) {
        Some((version, Some(sessions))) => (sessions, version),
        Some((_, None)) => {
            // A snapshot is never the truth: one that does not parse is ignored.
            tail = store.read_stream(&stream, 1).await?;
            (BTreeMap::new(), 0)
        }
        None => (BTreeMap::new(), 0),
    };
    let events = tail
        .iter()
        .map(SessionEvent::from_raw)
        .collect::<Result<Vec<_>, _>>()?;
    fold_onto(&mut sessions, &events);
    version = events.last().map_or(version, |e| e.envelope.version);
    forget_expired(&mut sessions, Utc::now());
    let history = History {
        principal_id,
        sessions,
        version,
    };
    if events.len() >= SNAPSHOT_EVERY {
        keep(store, &stream, &history).await;
    }
    Ok(history)
}

/// Saves `history` as the stream's snapshot; a failure only costs speed.
async fn keep(store: &dyn SessionSource, stream: &str, history: &History) {
    let saved = match serde_json::to_value(history.sessions.values().collect::<Vec<_>>()) {
        Ok(state) => store
            .save(stream, HISTORY_SNAPSHOT_FORMAT, history.version, state)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = saved {
        tracing::warn!(%error, %stream, "session history snapshot not saved");
    }
}

fn parse(json: &str) -> Option<BTreeMap<Uuid, CachedSession>> {
    let sessions: Vec<CachedSession> = serde_json::from_str(json).ok()?;
    Some(sessions.into_iter().map(|s| (s.session_id, s)).collect())
}

/// Drops sessions whose cache entries would have expired by `now`: past their absolute expiry
/// and the retention of ended entries. Nothing can make them active again.
fn forget_expired(sessions: &mut BTreeMap<Uuid, CachedSession>, now: DateTime<Utc>) {
    sessions.retain(|_, s| s.expires_at + ENDED_RETENTION > now);
}
