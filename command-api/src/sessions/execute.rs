//! Running a command on a principal's sessions stream: load (snapshot + newer events), decide,
//! append at the version decided on; a lost race starts over from a fresh load. Nothing here
//! knows HTTP: callers map [`Rejected`] to their answers.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Duration, Utc};
use events::EventMetadata;
use events::sessions::SessionEvent;
use events::topics::Category;
use uuid::Uuid;

use runtime::clock::Clock;
use store::event_store::{EventStore, NewEvent, Snapshots, StoreError};
use store::session_cache::{CacheError, Epoch, SessionCache, Written};

use super::{Command, SessionError, SessionPolicy, Sessions, decide};

/// Appends that lost a race this many times in a row give up with 409.
const MAX_ATTEMPTS: usize = 32;
/// Bumped whenever [`Sessions`] changes shape: older snapshots are then ignored.
const SNAPSHOT_FORMAT: i32 = 1;
/// A new snapshot is taken once this many events accumulated after the last one.
const SNAPSHOT_EVERY: i64 = 32;
/// Sessions that ended longer ago than this are left out of snapshots.
const ENDED_RETENTION: Duration = Duration::days(1);

/// What running a sessions command needs, each behind its port.
#[derive(Clone)]
pub struct SessionRunner {
    pub store: Arc<dyn EventStore>,
    pub snapshots: Arc<dyn Snapshots>,
    /// Written through after each command, so a login or revocation is visible to
    /// introspection at once; the projector makes it right if this write is lost.
    pub cache: SessionCache,
    pub clock: Arc<dyn Clock>,
    pub policy: SessionPolicy,
}

impl std::fmt::Debug for SessionRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRunner")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Why a command on a sessions stream did not happen.
#[derive(Debug)]
pub enum Rejected {
    /// The rules said no.
    Domain(SessionError),
    /// The stream kept changing under the command: every retry lost its race.
    Contended,
    /// The event store failed or could not be reached; nothing was written.
    Store(StoreError),
    /// A stored stream or snapshot could not be read back.
    Corrupt(String),
}

impl From<StoreError> for Rejected {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub events: Vec<SessionEvent>,
    /// The principal's sessions after the command.
    pub state: Sessions,
    /// The stream's version after the append.
    pub version: i64,
    /// The time the command was decided at.
    pub now: DateTime<Utc>,
}

pub async fn execute(
    runner: &SessionRunner,
    principal_id: Uuid,
    command: Command,
    metadata: EventMetadata,
) -> Result<Outcome, Rejected> {
    let stream = Category::Sessions.stream_id(principal_id);
    // Racers on one stream back off with jitter, so one of them wins each round.
    let mut backoff = ExponentialBuilder::default()
        .with_min_delay(StdDuration::from_millis(1))
        .with_max_delay(StdDuration::from_millis(50))
        .with_jitter()
        .with_max_times(MAX_ATTEMPTS)
        .build();
    loop {
        let (current, snapshot_version) = load(runner, &stream).await?;
        let now = runner.clock.now();
        let events = decide(&current, command.clone(), now).map_err(Rejected::Domain)?;
        if events.is_empty() {
            return Ok(Outcome {
                events,
                version: current.version,
                state: current,
                now,
            });
        }
        let new = events
            .iter()
            .map(|e| NewEvent::new(e, metadata.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Rejected::Corrupt(e.to_string()))?;
        // A session start is written to the cache only if Redis was not emptied after this
        // point: what the cache lost might be newer (a revocation of the session).
        let epoch = if events.iter().any(|e| matches!(e, SessionEvent::Started(_))) {
            runner.cache.epoch().await.ok()
        } else {
            None
        };
        match runner.store.append(&stream, current.version, new).await {
            Ok(appended) => {
                write_through(runner, principal_id, &appended.events, epoch.as_ref()).await;
                let after = events.iter().fold(current, |s, e| {
                    let version = s.version + 1;
                    s.evolve(version, e)
                });
                if appended.version - snapshot_version >= SNAPSHOT_EVERY {
                    snapshot(runner, &stream, after.clone(), now);
                }
                return Ok(Outcome {
                    events,
                    version: appended.version,
                    state: after,
                    now,
                });
            }
            Err(StoreError::Conflict { .. }) => match backoff.next() {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(Rejected::Contended),
            },
            Err(e) => return Err(e.into()),
        }
    }
}

/// The stream's current state, and the version of the snapshot it started from (0: none).
pub async fn load(runner: &SessionRunner, stream: &str) -> Result<(Sessions, i64), Rejected> {
    let internal = |e: &dyn std::fmt::Display| Rejected::Corrupt(e.to_string());
    let (snapshot, tail) = runner
        .store
        .read_from_snapshot(stream, SNAPSHOT_FORMAT)
        .await?;
    let base = match snapshot {
        Some((_, json)) => serde_json::from_str::<Sessions>(&json).map_err(|e| internal(&e))?,
        None => Sessions::default(),
    };
    let from = base.version;
    let current = base.replay(&tail).map_err(|e| internal(&e))?;
    Ok((current, from))
}

/// Longest a command waits for the cache write-through; past it, the projector catches up.
const WRITE_THROUGH_TIMEOUT: StdDuration = StdDuration::from_millis(250);

/// Applies the appended events to the session cache right away (best effort). `epoch` was
/// taken before the append; without it a session start is left to the projector.
async fn write_through(
    runner: &SessionRunner,
    principal_id: Uuid,
    appended: &[events::RawEvent],
    epoch: Option<&Epoch>,
) {
    use events::EventFamily;
    let apply = async {
        for raw in appended {
            let recorded = SessionEvent::from_raw(raw)?;
            let written = match epoch {
                Some(epoch) => runner.cache.apply(&recorded, epoch).await?,
                None => runner.cache.apply_existing(&recorded).await?,
            };
            if written == Written::Missing {
                runner
                    .cache
                    .rebuild(runner.store.as_ref(), principal_id)
                    .await?;
                break;
            }
        }
        Ok::<(), CacheError>(())
    };
    match tokio::time::timeout(WRITE_THROUGH_TIMEOUT, apply).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "session cache not written through"),
        Err(_) => tracing::warn!("session cache write-through timed out"),
    }
}

/// Saves `after` in the background; a failure only costs speed.
fn snapshot(runner: &SessionRunner, stream: &str, after: Sessions, now: DateTime<Utc>) {
    let after = after.without_ended_before(now - ENDED_RETENTION);
    let snapshots = runner.snapshots.clone();
    let stream = stream.to_owned();
    tokio::spawn(async move {
        let version = after.version;
        let saved = match serde_json::to_value(&after) {
            Ok(json) => snapshots
                .save(&stream, SNAPSHOT_FORMAT, version, json)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = saved {
            tracing::warn!(%error, %stream, "snapshot not saved");
        }
    });
}
