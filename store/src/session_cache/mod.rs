//! The Redis session cache: one hash per principal holding its sessions' entries, each written
//! only forward in stream version (a Lua compare-and-set) and kept until the session expires.
//! Redis is never the only copy: whatever it lacks is rebuilt from the event store.

mod active;
mod batch;
mod entry;
mod follow;
pub mod grants;
mod history;
mod keys;
mod maintenance;
mod read;
mod recent;
mod script;
mod view;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

use crate::event_store::StoreError;
use chrono::{DateTime, Duration, Utc};
use events::Recorded;
use events::sessions::SessionEvent;
use redis::Script;
use redis::aio::ConnectionManager;
use uuid::Uuid;

pub use follow::follow;
pub use history::{HISTORY_SNAPSHOT_FORMAT, History, from_events, history, principal_of};
use keys::Keys;
pub use recent::{RecentSessions, SessionSource};
use script::{Mode, Target};
pub use view::{CachedSession, Change, Update, change, fold, fold_onto};

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
    #[error("Redis is not the instance the session cache was filled in; not read")]
    Distrusted,
}

impl CacheError {
    /// Whether retrying later can help (a dependency was unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Redis(_) | Self::Flushed | Self::Distrusted => true,
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
    prefix: Arc<str>,
    generation: Arc<AtomicU32>,
    /// The Redis `run_id` reads are answered from (see [`crate::generations::Live`]).
    trusted: Arc<RwLock<Option<String>>>,
    /// Shared by every clone: writes made at once go to Redis together.
    batches: Arc<batch::Batches>,
    // Shared, not copied: the cache is cloned into every request's state, and a script holds
    // its whole source.
    read_script: Arc<Script>,
    grants_script: Arc<Script>,
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
    /// A cache on generation 0 trusting no Redis instance (every read is
    /// [`CacheError::Distrusted`]); [`follow`] keeps it on the live state.
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            batches: Arc::new(batch::Batches::new(conn.clone())),
            conn,
            prefix: Arc::from(prefix.into()),
            generation: Arc::default(),
            trusted: Arc::default(),
            read_script: Arc::new(Script::new(include_str!("read.lua"))),
            grants_script: Arc::new(Script::new(include_str!("grants/write.lua"))),
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

    /// The generation and trusted instance this cache (and its clones) goes by.
    pub fn live(&self) -> crate::generations::Live {
        crate::generations::Live {
            generation: self.generation(),
            instance: self.trusted_instance(),
        }
    }

    /// Moves this cache (and its clones) to the live state.
    pub fn use_live(&self, live: &crate::generations::Live) {
        self.trust_instance(live.instance.clone());
        self.use_generation(live.generation);
    }

    /// Answers reads only from the Redis server with this `run_id`.
    pub fn trust_instance(&self, instance: Option<String>) {
        *self.trusted.write().unwrap_or_else(|e| e.into_inner()) = instance;
    }

    fn trusted_instance(&self) -> Option<String> {
        self.trusted
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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
            Change::Put(session) => self.write_one(self.entry(&session, start_mode)).await,
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
                let args = entry::updated(&update);
                self.write_one(self.prepare(target, Mode::Update, None, args))
                    .await
            }
            Change::None => {
                let target = Target {
                    principal_id,
                    session_id: None,
                    version: recorded.envelope.version,
                };
                let expire_at = Utc::now() + ENDED_RETENTION;
                self.write_one(self.prepare(target, Mode::Advance, Some(expire_at), []))
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

    /// When an entry of `session` expires: with the session, and not before ended sessions'
    /// retention.
    fn entry_expiry(session: &CachedSession) -> DateTime<Utc> {
        session.expires_at.max(Utc::now() + ENDED_RETENTION)
    }

    /// The change that puts `session`'s entry.
    fn entry(&self, session: &CachedSession, mode: Mode<'_>) -> batch::Write {
        let target = Target {
            principal_id: session.principal_id,
            session_id: Some(session.session_id),
            version: session.version,
        };
        let stored = entry::stored(session, Self::entry_expiry(session));
        self.prepare(target, mode, None, stored)
    }
}
