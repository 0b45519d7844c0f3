//! How many sessions are active: every write of an entry keeps it in a sorted set scored by when
//! the session ends (see `apply.lua`), so counting is a trim and a `ZCARD`, whatever the cache holds.

use chrono::{DateTime, Utc};

use super::{CacheError, SessionCache};

impl SessionCache {
    /// The sessions of this generation that are active at `now`: neither revoked nor past their
    /// expiry or idle end. Drops the ones that ended, which nothing else removes.
    pub async fn count_active(&self, now: DateTime<Utc>) -> Result<u64, CacheError> {
        let key = self.keys().active();
        let now = now.timestamp_millis();
        let mut conn = self.conn.clone();
        let (active,): (u64,) = redis::pipe()
            .atomic()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&key)
            .arg("-inf")
            .arg(now)
            .ignore()
            .cmd("ZCARD")
            .arg(&key)
            .query_async(&mut conn)
            .await?;
        Ok(active)
    }
}
