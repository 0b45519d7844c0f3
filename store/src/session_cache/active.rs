//! How many sessions are active: every write of an entry moves the session's count to the second
//! it now ends in (see `apply.lua`), so counting sums the seconds still to come, whatever the
//! cache holds, in memory that grows with the distinct end seconds, not with the sessions.
//!
//! The count is a gauge, not a ledger: a principal's hash deleted by a failed write-through
//! (`forget`) leaves its sessions counted, and the re-warm that follows counts them again until
//! the second each one ended in passes.

use chrono::{DateTime, Utc};
use redis::Script;

use super::{CacheError, SessionCache};

/// Drops the seconds that passed by `ARGV[1]` (epoch milliseconds) from the counts (KEYS[1])
/// and returns the sum of the others.
const COUNT: &str = r"
local counts = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[1])
local active, passed = 0, {}
for i = 1, #counts, 2 do
  if tonumber(counts[i]) * 1000 <= now then
    table.insert(passed, counts[i])
  else
    active = active + tonumber(counts[i + 1])
  end
end
for i = 1, #passed, 1000 do
  redis.call('HDEL', KEYS[1], unpack(passed, i, math.min(i + 999, #passed)))
end
return active
";

impl SessionCache {
    /// The sessions of this generation that are active at `now`: neither revoked nor past their
    /// expiry or idle end (to the second). Drops the counts of seconds that passed, which
    /// nothing else removes.
    pub async fn count_active(&self, now: DateTime<Utc>) -> Result<u64, CacheError> {
        let mut conn = self.conn.clone();
        let active: i64 = Script::new(COUNT)
            .key(self.keys().active())
            .arg(now.timestamp_millis())
            .invoke_async(&mut conn)
            .await?;
        Ok(u64::try_from(active).unwrap_or(0))
    }
}
