//! The Redis session cache: one hash per session, written only forward in stream version (a
//! Lua compare-and-set), expiring with the session. Redis is never the only copy: whatever it
//! lacks is rebuilt from the event store.

pub mod generations;
mod view;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::event_store::{EventStore, StoreError};
use chrono::{DateTime, Duration, Utc};
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

/// How a write treats the entry and the principal's index (see `apply.lua`).
#[derive(Debug, Clone, Copy)]
enum Mode<'a> {
    /// Create or overwrite the entry with state read after `epoch` was taken.
    Put(&'a Epoch),
    /// Change an entry the cache holds.
    Update,
    /// No entry changes; the principal's version moves past an event.
    Advance,
    /// Every session of the principal, read after `epoch` was taken, was just put.
    Claim(&'a Epoch),
}

impl<'a> Mode<'a> {
    fn name(self) -> &'static str {
        match self {
            Self::Put(_) => "put",
            Self::Update => "update",
            Self::Advance => "advance",
            Self::Claim(_) => "claim",
        }
    }

    /// The epoch the write is fenced by; `""` for none.
    fn epoch(self) -> &'a str {
        match self {
            Self::Put(epoch) | Self::Claim(epoch) => &epoch.0,
            Self::Update | Self::Advance => "",
        }
    }
}

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

    /// Marks this generation filled (a rebuild filled it from the topic).
    pub async fn mark_filled(&self) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let () = redis::cmd("SET")
            .arg(self.keys().filled())
            .arg(Utc::now().to_rfc3339())
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Deletes every key of this cache's generation (an old one, after a switch).
    pub async fn clear(&self) -> Result<usize, CacheError> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}*", self.namespace());
        let mut cursor: u64 = 0;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                let removed: usize = redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async(&mut conn)
                    .await?;
                deleted += removed;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    /// Whether the cache was filled since Redis last started empty.
    pub async fn is_filled(&self) -> Result<bool, CacheError> {
        let mut conn = self.conn.clone();
        let exists: bool = redis::cmd("EXISTS")
            .arg(self.keys().filled())
            .query_async(&mut conn)
            .await?;
        Ok(exists)
    }

    /// Rebuilds every session that can still be active (started at or after `since`) from the
    /// event store, then marks the cache filled. Returns the number of principals rebuilt.
    pub async fn fill(
        &self,
        store: &dyn EventStore,
        since: DateTime<Utc>,
    ) -> Result<usize, CacheError> {
        let epoch = self.epoch().await?;
        let streams = store.session_streams_since(since).await?;
        for principal_id in streams.iter().filter_map(|s| principal_of(s)) {
            self.put_all(&history(store, principal_id).await?, &epoch)
                .await?;
        }
        let mut conn = self.conn.clone();
        let keys = self.keys();
        let marked: bool = Script::new(MARK_IN_EPOCH)
            .key(keys.epoch())
            .key(keys.filled())
            .arg(&epoch.0)
            .arg(Utc::now().to_rfc3339())
            .invoke_async(&mut conn)
            .await?;
        if !marked {
            return Err(CacheError::Flushed);
        }
        Ok(streams.len())
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

    /// Rebuilds every session of `principal_id` from the event store into the cache, and
    /// returns them: what a missing entry falls back to.
    pub async fn rebuild(
        &self,
        store: &dyn EventStore,
        principal_id: Uuid,
    ) -> Result<BTreeMap<Uuid, CachedSession>, CacheError> {
        let epoch = self.epoch().await?;
        let history = history(store, principal_id).await?;
        self.put_all(&history, &epoch).await?;
        Ok(history.sessions)
    }

    /// Writes a principal's sessions as [`history`] folded them after `epoch` was taken, and
    /// marks the principal's index whole as of the history's version. Refused with
    /// [`CacheError::Flushed`] if the cache was emptied since `epoch`.
    pub async fn put_all(&self, history: &History, epoch: &Epoch) -> Result<(), CacheError> {
        let mut expire_at = Utc::now() + ENDED_RETENTION;
        for session in history.sessions.values() {
            self.write_entry(session, Mode::Put(epoch)).await?;
            expire_at = expire_at.max(Self::entry_expiry(session));
        }
        let target = Target {
            principal_id: history.principal_id,
            session_id: None,
            version: history.version,
        };
        self.write(target, Mode::Claim(epoch), Some(expire_at), Vec::new())
            .await?;
        Ok(())
    }

    async fn write(
        &self,
        target: Target,
        mode: Mode<'_>,
        expire_at: Option<DateTime<Utc>>,
        fields: Vec<(&'static str, String)>,
    ) -> Result<Written, CacheError> {
        let keys = self.keys();
        let session = target.session_id.map(|id| id.to_string());
        let mut invocation = self.script.key(match target.session_id {
            Some(id) => keys.session(id),
            // The script touches no entry; the key only keeps the argument list fixed.
            None => format!("{}none", keys.session_prefix()),
        });
        invocation
            .key(keys.sessions(target.principal_id))
            .key(keys.version(target.principal_id))
            .key(keys.epoch())
            .arg(target.version)
            .arg(mode.name())
            .arg(
                expire_at
                    .map(|t| t.timestamp_millis().to_string())
                    .unwrap_or_default(),
            )
            .arg(session.unwrap_or_default())
            .arg(mode.epoch());
        for (name, value) in fields {
            invocation.arg(name).arg(value);
        }
        let mut conn = self.conn.clone();
        let outcome: i64 = invocation.invoke_async(&mut conn).await?;
        match outcome {
            1 => Ok(Written::Applied),
            -1 => Ok(Written::Missing),
            -2 => Err(CacheError::Flushed),
            _ => Ok(Written::AlreadyApplied),
        }
    }
}

/// Sets KEYS[2] to ARGV[2] if the epoch (KEYS[1]) is still ARGV[1]; returns whether it did.
const MARK_IN_EPOCH: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
";

/// The answer of `read.lua`: the version, then the id and fields of each entry.
fn parse_read(value: redis::Value) -> Result<(i64, Vec<CachedSession>), redis::RedisError> {
    use redis::FromRedisValue;
    let mut items = Vec::<redis::Value>::from_redis_value(value)?.into_iter();
    let version = i64::from_redis_value(
        items
            .next()
            .ok_or((redis::ErrorKind::UnexpectedReturnType, "empty session read"))?,
    )?;
    let mut sessions = Vec::new();
    while let (Some(id), Some(fields)) = (items.next(), items.next()) {
        let id = String::from_redis_value(id)?;
        let fields = HashMap::<String, String>::from_redis_value(fields)?;
        if let Some(session) = id
            .parse()
            .ok()
            .and_then(|id| CachedSession::from_fields(id, &fields))
        {
            sessions.push(session);
        }
    }
    Ok((version, sessions))
}

/// The keys of one generation (its namespace).
#[derive(Debug)]
struct Keys(String);

impl Keys {
    fn session_prefix(&self) -> String {
        format!("{}session:", self.0)
    }

    fn session(&self, session_id: Uuid) -> String {
        format!("{}session:{session_id}", self.0)
    }

    fn sessions(&self, principal_id: Uuid) -> String {
        format!("{}principal:{principal_id}:sessions", self.0)
    }

    fn version(&self, principal_id: Uuid) -> String {
        format!("{}principal:{principal_id}:version", self.0)
    }

    fn epoch(&self) -> String {
        format!("{}epoch", self.0)
    }

    fn filled(&self) -> String {
        format!("{}session-cache:filled", self.0)
    }
}

/// The entry a change is for.
#[derive(Debug, Clone, Copy)]
struct Target {
    principal_id: Uuid,
    /// `None` for a change of the principal's index only.
    session_id: Option<Uuid>,
    version: i64,
}

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
