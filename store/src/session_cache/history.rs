//! A principal's sessions folded from the event store: the truth the cache holds a copy of.

use std::collections::BTreeMap;

use events::EventFamily;
use events::sessions::SessionEvent;
use events::topics::Category;
use uuid::Uuid;

use super::{CacheError, CachedSession, fold};
use crate::event_store::EventStore;

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
    store: &dyn EventStore,
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

/// Every session of `principal_id` folded from the event store, with the stream's version.
pub async fn history(store: &dyn EventStore, principal_id: Uuid) -> Result<History, CacheError> {
    let events = store
        .read_stream(&Category::Sessions.stream_id(principal_id), 1)
        .await?
        .iter()
        .map(SessionEvent::from_raw)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(History {
        principal_id,
        sessions: fold(&events),
        version: events.last().map_or(0, |e| e.envelope.version),
    })
}
