//! Running a command on a principal's sessions stream: load (snapshot + newer events), decide,
//! append at the version decided on; a lost race starts over from a fresh load.

use std::time::Duration as StdDuration;

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Duration, Utc};
use events::EventMetadata;
use events::sessions::SessionEvent;
use events::topics::Category;
use uuid::Uuid;

use super::{Command, SessionError, Sessions, decide};
use crate::http::{ApiError, AppState};
use store::event_store::{NewEvent, StoreError};
use store::session_cache::{CacheError, Epoch, Written};

/// Appends that lost a race this many times in a row give up with 409.
const MAX_ATTEMPTS: usize = 32;
/// Bumped whenever [`Sessions`] changes shape: older snapshots are then ignored.
const SNAPSHOT_FORMAT: i32 = 1;
/// A new snapshot is taken once this many events accumulated after the last one.
const SNAPSHOT_EVERY: i64 = 32;
/// Sessions that ended longer ago than this are left out of snapshots.
const ENDED_RETENTION: Duration = Duration::days(1);

/// Why a command on a sessions stream did not happen.
#[derive(Debug)]
pub enum Rejected {
    /// The rules said no.
    Domain(SessionError),
    Api(ApiError),
}

impl From<StoreError> for Rejected {
    fn from(e: StoreError) -> Self {
        Self::Api(e.into())
    }
}

impl From<Rejected> for ApiError {
    fn from(r: Rejected) -> Self {
        match r {
            Rejected::Api(e) => e,
            Rejected::Domain(SessionError::NotFound) => ApiError::NotFound("session"),
            Rejected::Domain(SessionError::NotActive) => ApiError::State {
                code: "session_not_active",
                detail: "the session has ended already".into(),
            },
            Rejected::Domain(SessionError::InvalidMetadata(detail)) => ApiError::Invalid(detail),
            Rejected::Domain(e @ SessionError::ReasonNotAllowed(_)) => {
                ApiError::Invalid(e.to_string())
            }
            Rejected::Domain(SessionError::UnknownRefreshToken) => ApiError::Unauthenticated,
            Rejected::Domain(e @ SessionError::AlreadyStarted) => ApiError::Internal(e.to_string()),
        }
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
    state: &AppState,
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
        let (current, snapshot_version) = load(state, &stream).await?;
        let now = state.clock.now();
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
            .map_err(|e| Rejected::Api(ApiError::Internal(e.to_string())))?;
        // A session start is written to the cache only if Redis was not emptied after this
        // point: what the cache lost might be newer (a revocation of the session).
        let epoch = if events.iter().any(|e| matches!(e, SessionEvent::Started(_))) {
            state.cache.epoch().await.ok()
        } else {
            None
        };
        match state.store.append(&stream, current.version, new).await {
            Ok(appended) => {
                write_through(state, principal_id, &appended.events, epoch.as_ref()).await;
                let after = events.iter().fold(current, |s, e| {
                    let version = s.version + 1;
                    s.evolve(version, e)
                });
                if appended.version - snapshot_version >= SNAPSHOT_EVERY {
                    snapshot(state, &stream, after.clone(), now);
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
                None => return Err(Rejected::Api(ApiError::Conflict)),
            },
            Err(e) => return Err(e.into()),
        }
    }
}

/// The stream's current state, and the version of the snapshot it started from (0: none).
pub async fn load(state: &AppState, stream: &str) -> Result<(Sessions, i64), Rejected> {
    let internal = |e: &dyn std::fmt::Display| Rejected::Api(ApiError::Internal(e.to_string()));
    let (snapshot, tail) = state
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
    state: &AppState,
    principal_id: Uuid,
    appended: &[events::RawEvent],
    epoch: Option<&Epoch>,
) {
    use events::EventFamily;
    let apply = async {
        for raw in appended {
            let recorded = SessionEvent::from_raw(raw)?;
            let written = match epoch {
                Some(epoch) => state.cache.apply(&recorded, epoch).await?,
                None => state.cache.apply_existing(&recorded).await?,
            };
            if written == Written::Missing {
                state
                    .cache
                    .rebuild(state.store.as_ref(), principal_id)
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
fn snapshot(state: &AppState, stream: &str, after: Sessions, now: DateTime<Utc>) {
    let after = after.without_ended_before(now - ENDED_RETENTION);
    let snapshots = state.snapshots.clone();
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
