//! The Redis session cache: one hash per session, written only forward in stream version (a
//! Lua compare-and-set), expiring with the session. Redis is never the only copy: whatever it
//! lacks is rebuilt from the event store.

pub mod generations;
mod history;
mod keys;
mod maintenance;
mod recent;
mod script;
mod view;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::event_store::StoreError;
use chrono::{DateTime, Duration, Utc};
use events::Recorded;
use events::sessions::SessionEvent;
use redis::Script;
use redis::aio::ConnectionManager;
use uuid::Uuid;

pub use history::{History, from_events, history, principal_of};
use keys::Keys;
pub use recent::{RecentSessions, SessionSource};
use script::{Mode, Target, parse_read};
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
    #[error("the session cache was emptied while being written; nothing written")]
    Flushed,
}

impl CacheError {
    /// Whether retrying later can help (a dependency was unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Redis(_) | Self::Flushed => true,
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

/// A mark of the cache's contents, taken before reading the state a write carries. Redis
/// emptied in between (FLUSHALL, a restart without persistence) loses the mark, and the write is
/// refused: what was read may be older than what was lost, and writing it would bring back,
/// say, a session that was revoked meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch(String);

/// The session cache in Redis. Its keys live under `<prefix>g<generation>:`: a rebuild fills
/// the next generation beside the live one, and readers switch once it has caught up.
#[derive(Clone)]
pub struct SessionCache {
    conn: ConnectionManager,
    prefix: String,
    generation: Arc<AtomicU32>,
    script: Script,
    read_script: Script,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("prefix", &self.prefix)
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

impl SessionCache {
    /// A cache on generation 0; [`SessionCache::follow`] keeps it on the active one.
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
            generation: Arc::default(),
            script: Script::new(include_str!("apply.lua")),
            read_script: Script::new(include_str!("read.lua")),
        }
    }

    /// The same cache on another generation (a rebuild writes the next one).
    pub fn on_generation(&self, generation: u32) -> Self {
        Self {
            generation: Arc::new(AtomicU32::new(generation)),
            ..self.clone()
        }
    }

    pub fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }

    /// Moves this cache (and its clones) to `generation`.
    pub fn use_generation(&self, generation: u32) {
        self.generation.store(generation, Ordering::Release);
    }

    /// Every key of this cache's generation starts with this.
    pub fn namespace(&self) -> String {
        format!("{}g{}:", self.prefix, self.generation())
    }

    /// The keys of the current generation, read once: the keys of one operation never
    /// straddle a switch.
    fn keys(&self) -> Keys {
        Keys(self.namespace())
    }

    /// The cache's current epoch, started now if Redis lost the last one. Take it before
    /// reading the state a [`SessionCache::put_all`] or [`SessionCache::apply`] will write.
    pub async fn epoch(&self) -> Result<Epoch, CacheError> {
        let mut conn = self.conn.clone();
        let mine = Uuid::now_v7().to_string();
        let current: Option<String> = redis::cmd("SET")
            .arg(self.keys().epoch())
            .arg(&mine)
            .arg("NX")
            .arg("GET")
            .query_async(&mut conn)
            .await?;
        Ok(Epoch(current.unwrap_or(mine)))
    }

    /// Applies one event's change as the command that appended it (write-through), or as a
    /// replay meeting every event in order: a session start creates its entry, unless the
    /// cache was emptied since `epoch` (taken before the append).
    pub async fn apply(
        &self,
        recorded: &Recorded<SessionEvent>,
        epoch: &Epoch,
    ) -> Result<Written, CacheError> {
        self.apply_as(recorded, Mode::Put(epoch)).await
    }

    /// Applies one event's change only to an entry the cache holds, as a projector catching
    /// up: an event met after the cache lost its entry (a flush) may be older than the truth,
    /// so a missing entry is reported and rebuilt from the event store instead.
    pub async fn apply_existing(
        &self,
        recorded: &Recorded<SessionEvent>,
    ) -> Result<Written, CacheError> {
        self.apply_as(recorded, Mode::Update).await
    }

    async fn apply_as(
        &self,
        recorded: &Recorded<SessionEvent>,
        start_mode: Mode<'_>,
    ) -> Result<Written, CacheError> {
        let Some(principal_id) = principal_of(&recorded.envelope.stream_id) else {
            return Ok(Written::AlreadyApplied);
        };
        match change(recorded) {
            Change::Put(session) => self.write_entry(&session, start_mode).await,
            Change::Update {
                session_id,
                version,
                update,
            } => {
                let target = Target {
                    principal_id,
                    session_id: Some(session_id),
                    version,
                };
                self.write(target, Mode::Update, None, update.fields())
                    .await
            }
            Change::None => {
                let target = Target {
                    principal_id,
                    session_id: None,
                    version: recorded.envelope.version,
                };
                let expire_at = Utc::now() + ENDED_RETENTION;
                self.write(target, Mode::Advance, Some(expire_at), Vec::new())
                    .await
            }
        }
    }

    /// Whether Redis answers now.
    pub async fn reachable(&self) -> bool {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }

    /// The stream version the cache reflects for `principal_id`; `None` if it holds nothing of
    /// the principal (never cached, expired or flushed).
    pub async fn applied_version(&self, principal_id: Uuid) -> Result<Option<i64>, CacheError> {
        let mut conn = self.conn.clone();
        let version: Option<i64> = redis::cmd("GET")
            .arg(self.keys().version(principal_id))
            .query_async(&mut conn)
            .await?;
        Ok(version)
    }

    /// Every cached session of `principal_id` with the stream version the cache reflects for
    /// it, read atomically; `None` if the cache holds nothing of it.
    pub async fn sessions_of(
        &self,
        principal_id: Uuid,
    ) -> Result<Option<(i64, Vec<CachedSession>)>, CacheError> {
        let mut conn = self.conn.clone();
        let keys = self.keys();
        let read: Option<redis::Value> = self
            .read_script
            .key(keys.version(principal_id))
            .key(keys.sessions(principal_id))
            .arg(keys.session_prefix())
            .invoke_async(&mut conn)
            .await?;
        Ok(read.map(parse_read).transpose()?)
    }

    /// When an entry of `session` expires: with the session, and not before ended sessions'
    /// retention.
    fn entry_expiry(session: &CachedSession) -> DateTime<Utc> {
        session.expires_at.max(Utc::now() + ENDED_RETENTION)
    }

    async fn write_entry(
        &self,
        session: &CachedSession,
        mode: Mode<'_>,
    ) -> Result<Written, CacheError> {
        let target = Target {
            principal_id: session.principal_id,
            session_id: Some(session.session_id),
            version: session.version,
        };
        self.write(
            target,
            mode,
            Some(Self::entry_expiry(session)),
            session.fields(),
        )
        .await
    }

    pub async fn get(&self, session_id: Uuid) -> Result<Option<CachedSession>, CacheError> {
        let mut conn = self.conn.clone();
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.keys().session(session_id))
            .query_async(&mut conn)
            .await?;
        Ok(CachedSession::from_fields(session_id, &fields))
    }
}
