//! The sessions aggregate on the generic runner (`store::aggregate`): its snapshot policy, and
//! its hooks (the session cache's epoch before an append, the write-through after it). Nothing
//! here knows HTTP: callers map [`Rejected`] to their answers.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use events::sessions::SessionEvent;
use events::topics::Category;
use events::{EventFamily, EventMetadata};
use store::aggregate::{self, Aggregate, Hooks, Ports, RunError};
use store::session_cache::{CacheError, Epoch, SessionCache, SessionSource, Written};
use store::subject_keys::SubjectKeys;
use uuid::Uuid;

use super::{Command, SessionError, SessionPolicy, Sessions, decide};

/// Sessions that ended longer ago than this are left out of snapshots.
const ENDED_RETENTION: Duration = Duration::days(1);
/// Longest a command waits for the cache write-through; past it, the projector catches up.
const WRITE_THROUGH_TIMEOUT: StdDuration = StdDuration::from_millis(250);

impl Aggregate for Sessions {
    type Event = SessionEvent;
    type Command = Command;
    type Error = SessionError;

    const CATEGORY: Category = Category::Sessions;
    /// Bumped whenever [`Sessions`] changes shape: older snapshots are then ignored.
    const SNAPSHOT_FORMAT: i32 = 2;
    const SNAPSHOT_EVERY: i64 = 32;

    fn version(&self) -> i64 {
        self.version
    }

    fn decide(
        &self,
        command: Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        decide(self, command, now)
    }

    fn evolve(self, version: i64, event: &SessionEvent) -> Self {
        Sessions::evolve(self, version, event)
    }

    /// Per session its fields, its hex hash and its share of the map's nodes (~350 B); per
    /// spent token a hex hash, its allocation and a time (~120 B).
    fn weight(&self) -> u64 {
        let spent: usize = self.sessions.values().map(|s| s.spent.len()).sum();
        (size_of::<Self>() + self.sessions.len() * 350 + spent * 120) as u64
    }

    fn for_snapshot(self, now: DateTime<Utc>) -> Self {
        self.without_ended_before(now - ENDED_RETENTION)
    }
}

/// What running a sessions command needs, each behind its port.
#[derive(Clone)]
pub struct SessionRunner {
    /// The event store, its snapshots and the clock every aggregate runs on.
    pub ports: Ports,
    /// Written through after each command, so a login or revocation is visible to
    /// introspection at once; the projector makes it right if this write is lost.
    pub cache: SessionCache,
    /// What a lost entry is rebuilt from: the events, after the read side's snapshot.
    pub history: Arc<dyn SessionSource>,
    pub policy: SessionPolicy,
    /// Customers' data keys, which seal their client details (see [`super::client`]).
    pub subjects: Arc<dyn SubjectKeys>,
}

impl std::fmt::Debug for SessionRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRunner")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Why a command on a sessions stream did not happen.
pub type Rejected = RunError<SessionError>;

/// What a command did.
pub type Outcome = aggregate::Outcome<Sessions>;

pub async fn execute(
    runner: &SessionRunner,
    principal_id: Uuid,
    command: Command,
    metadata: EventMetadata,
) -> Result<Outcome, Rejected> {
    aggregate::run(&runner.ports, runner, principal_id, command, metadata).await
}

/// The stream's current state, and the version of the snapshot it started from (0: none).
pub async fn load(runner: &SessionRunner, stream: &str) -> Result<(Sessions, i64), Rejected> {
    aggregate::load(&runner.ports, stream).await
}

#[async_trait::async_trait]
impl Hooks<Sessions> for SessionRunner {
    /// The cache's epoch when a session starts: the start is written to the cache only if
    /// Redis was not emptied after this point, since what it lost might be newer (a
    /// revocation of the session).
    type Ticket = Option<Epoch>;

    async fn before_append(&self, events: &[SessionEvent]) -> Option<Epoch> {
        if events.iter().any(|e| matches!(e, SessionEvent::Started(_))) {
            self.cache.epoch().await.ok()
        } else {
            None
        }
    }

    /// Applies the appended events to the session cache right away (best effort). Without an
    /// epoch a session start is left to the projector.
    async fn after_commit(
        &self,
        principal_id: Uuid,
        appended: &[events::RawEvent],
        epoch: Option<Epoch>,
    ) {
        let apply = async {
            for raw in appended {
                let recorded = SessionEvent::from_raw(raw)?;
                let written = match &epoch {
                    Some(epoch) => self.cache.apply(&recorded, epoch).await?,
                    None => self.cache.apply_existing(&recorded).await?,
                };
                if written == Written::Missing {
                    self.cache
                        .rebuild(self.history.as_ref(), principal_id)
                        .await?;
                    break;
                }
            }
            Ok::<(), CacheError>(())
        };
        let failure = match tokio::time::timeout(WRITE_THROUGH_TIMEOUT, apply).await {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error.to_string(),
            Err(_) => "timed out".to_owned(),
        };
        tracing::warn!(error = %failure, "session cache not written through; forgetting the entries");
        // An entry older than these events must not stay readable (a revoked session reported
        // active): without it, readers fold the stream from the event store.
        let forget = self.cache.forget(principal_id);
        match tokio::time::timeout(WRITE_THROUGH_TIMEOUT, forget).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "stale session cache entries not forgotten"),
            Err(_) => tracing::error!("forgetting stale session cache entries timed out"),
        }
    }
}
