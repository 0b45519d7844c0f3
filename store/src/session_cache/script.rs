//! The cache's writes through `apply.lua` (sent in batches, see batch.rs): what a write is for,
//! how it treats the entry and the principal's version, and what it answers.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::batch::Write;
use super::{CacheError, Epoch, SessionCache, Written};

/// How a write treats the entry and the principal's version (see `apply.lua`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Mode<'a> {
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
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Put(_) => "put",
            Self::Update => "update",
            Self::Advance => "advance",
            Self::Claim(_) => "claim",
        }
    }

    /// The epoch the write is fenced by; `""` for none.
    pub(super) fn epoch(self) -> &'a str {
        match self {
            Self::Put(epoch) | Self::Claim(epoch) => &epoch.0,
            Self::Update | Self::Advance => "",
        }
    }
}

/// The entry a change is for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    pub(super) principal_id: Uuid,
    /// `None` for a change of the principal's version only.
    pub(super) session_id: Option<Uuid>,
    pub(super) version: i64,
}

impl SessionCache {
    /// The change `apply.lua` makes for `target` with the mode's arguments `args` (see the
    /// script).
    pub(super) fn prepare(
        &self,
        target: Target,
        mode: Mode<'_>,
        expire_at: Option<DateTime<Utc>>,
        args: impl IntoIterator<Item = Vec<u8>>,
    ) -> Write {
        let keys = self.keys();
        let mut all = Vec::with_capacity(8);
        all.push(target.version.to_string().into_bytes());
        all.push(mode.name().as_bytes().to_vec());
        all.push(
            expire_at
                .map(|t| t.timestamp_millis().to_string().into_bytes())
                .unwrap_or_default(),
        );
        all.push(
            target
                .session_id
                .map(|id| id.into_bytes().to_vec())
                .unwrap_or_default(),
        );
        all.push(mode.epoch().as_bytes().to_vec());
        all.extend(args);
        Write {
            keys: [
                keys.sessions(target.principal_id),
                keys.epoch(),
                keys.active(),
            ],
            args: all,
        }
    }

    /// Makes `changes` in order; answers what each did. Refused with [`CacheError::Flushed`]
    /// if any was fenced by an epoch the cache lost.
    pub(super) async fn write(&self, changes: Vec<Write>) -> Result<Vec<Written>, CacheError> {
        self.batches
            .write(changes)
            .await?
            .into_iter()
            .map(|outcome| match outcome {
                1 => Ok(Written::Applied),
                -1 => Ok(Written::Missing),
                -2 => Err(CacheError::Flushed),
                _ => Ok(Written::AlreadyApplied),
            })
            .collect()
    }

    /// Makes one change; answers what it did.
    pub(super) async fn write_one(&self, change: Write) -> Result<Written, CacheError> {
        // One answer per change (batch.rs refuses a call answered otherwise).
        Ok(self.write(vec![change]).await?[0])
    }
}

/// Sets KEYS[2] to ARGV[2] if the epoch (KEYS[1]) is still ARGV[1]; returns whether it did.
pub(super) const MARK_IN_EPOCH: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
";
