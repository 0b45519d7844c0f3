//! Filling, rebuilding and clearing the cache: what a start on an empty Redis, a missing entry
//! and a blue-green rebuild need.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use redis::Script;
use uuid::Uuid;

use super::script::{MARK_IN_EPOCH, Mode, Target};
use super::{
    CacheError, CachedSession, ENDED_RETENTION, Epoch, History, SessionCache, SessionSource,
    history, principal_of,
};

impl SessionCache {
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

    /// Drops what the cache holds of `principal_id`'s sessions, so that every reader falls back
    /// to the event store (and writes it back): what a failed write-through does, so that no
    /// entry older than the events stays readable. A bare delete, which Redis takes even when it
    /// refuses writes for lack of memory.
    pub async fn forget(&self, principal_id: Uuid) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let _deleted: usize = redis::cmd("DEL")
            .arg(self.keys().sessions(principal_id))
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
        store: &dyn SessionSource,
        since: DateTime<Utc>,
    ) -> Result<usize, CacheError> {
        let epoch = self.epoch().await?;
        let streams = store.streams_since(since).await?;
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

    /// Rebuilds every session of `principal_id` from the event store into the cache, and
    /// returns them: what a missing entry falls back to.
    pub async fn rebuild(
        &self,
        store: &dyn SessionSource,
        principal_id: Uuid,
    ) -> Result<BTreeMap<Uuid, CachedSession>, CacheError> {
        let epoch = self.epoch().await?;
        let history = history(store, principal_id).await?;
        self.put_all(&history, &epoch).await?;
        Ok(history.sessions)
    }

    /// Writes a principal's sessions as [`history`] folded them after `epoch` was taken, and
    /// marks the principal's hash whole as of the history's version. Refused with
    /// [`CacheError::Flushed`] if the cache was emptied since `epoch`.
    pub async fn put_all(&self, history: &History, epoch: &Epoch) -> Result<(), CacheError> {
        let mut changes: Vec<_> = history
            .sessions
            .values()
            .map(|session| self.entry(session, Mode::Put(epoch)))
            .collect();
        let target = Target {
            principal_id: history.principal_id,
            session_id: None,
            version: history.version,
        };
        // Each put already kept the hash as long as its entry; the claim keeps a hash with no
        // entry for the retention of ended ones.
        let expire_at = Utc::now() + ENDED_RETENTION;
        changes.push(self.prepare(target, Mode::Claim(epoch), Some(expire_at), []));
        self.write(changes).await?;
        Ok(())
    }
}
