//! The Redis session cache: one hash per session, written only forward in stream version (a
//! Lua compare-and-set), expiring with the session. Redis is never the only copy: whatever it
//! lacks is rebuilt from the event store.

mod view;

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, Utc};
use command_api::event_store::{EventStore, StoreError};
use events::sessions::SessionEvent;
use events::topics::Category;
use events::{EventFamily, Recorded};
use redis::Script;
use redis::aio::ConnectionManager;
use uuid::Uuid;

pub use view::{CachedSession, Change, Update, change, fold};

/// Entries of sessions that already ended stay this long, so repeated introspections of their
/// tokens are answered from the cache.
const ENDED_RETENTION: Duration = Duration::seconds(60);

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    #[error("stored session events are unreadable: {0}")]
    Events(#[from] events::EventError),
}

impl CacheError {
    /// Whether retrying later can help (a dependency was unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Redis(_) => true,
            Self::Store(StoreError::Unavailable(_)) => true,
            Self::Store(_) | Self::Events(_) => false,
        }
    }
}

/// What writing a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Applied,
    /// The entry already reflected this version or a later one.
    AlreadyApplied,
    /// An update for an entry the cache lacks (e.g. after a flush).
    Missing,
}

#[derive(Clone)]
pub struct SessionCache {
    conn: ConnectionManager,
    prefix: String,
    script: Script,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl SessionCache {
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
            script: Script::new(include_str!("apply.lua")),
        }
    }

    pub fn key(&self, session_id: Uuid) -> String {
        format!("{}session:{session_id}", self.prefix)
    }

    /// Applies one event's change.
    pub async fn apply(&self, recorded: &Recorded<SessionEvent>) -> Result<Written, CacheError> {
        match change(recorded) {
            Change::Put(session) => self.put(&session).await,
            Change::Update {
                session_id,
                version,
                update,
            } => {
                self.write(session_id, version, "update", None, update.fields())
                    .await
            }
            Change::None => Ok(Written::AlreadyApplied),
        }
    }

    /// Writes a whole entry unless the cache holds it at this version or later.
    pub async fn put(&self, session: &CachedSession) -> Result<Written, CacheError> {
        let expire_at = session.expires_at.max(Utc::now() + ENDED_RETENTION);
        self.write(
            session.session_id,
            session.version,
            "put",
            Some(expire_at.timestamp_millis()),
            session.fields(),
        )
        .await
    }

    pub async fn get(&self, session_id: Uuid) -> Result<Option<CachedSession>, CacheError> {
        let mut conn = self.conn.clone();
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.key(session_id))
            .query_async(&mut conn)
            .await?;
        Ok(CachedSession::from_fields(session_id, &fields))
    }

    /// Rebuilds every session of `principal_id` from the event store into the cache, and
    /// returns them: what a cache miss or a missing entry falls back to.
    pub async fn rebuild(
        &self,
        store: &dyn EventStore,
        principal_id: Uuid,
    ) -> Result<BTreeMap<Uuid, CachedSession>, CacheError> {
        let history = store
            .read_stream(&Category::Sessions.stream_id(principal_id), 1)
            .await?
            .iter()
            .map(SessionEvent::from_raw)
            .collect::<Result<Vec<_>, _>>()?;
        let sessions = fold(&history);
        for session in sessions.values() {
            self.put(session).await?;
        }
        Ok(sessions)
    }

    async fn write(
        &self,
        session_id: Uuid,
        version: i64,
        mode: &str,
        expire_at_ms: Option<i64>,
        fields: Vec<(&'static str, String)>,
    ) -> Result<Written, CacheError> {
        let mut invocation = self.script.key(self.key(session_id));
        invocation
            .arg(version)
            .arg(mode)
            .arg(expire_at_ms.map(|t| t.to_string()).unwrap_or_default());
        for (name, value) in fields {
            invocation.arg(name).arg(value);
        }
        let mut conn = self.conn.clone();
        let outcome: i64 = invocation.invoke_async(&mut conn).await?;
        Ok(match outcome {
            1 => Written::Applied,
            -1 => Written::Missing,
            _ => Written::AlreadyApplied,
        })
    }
}
