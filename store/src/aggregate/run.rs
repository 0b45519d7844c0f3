//! Loading, deciding, appending and snapshotting, for any [`Aggregate`].

use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, Utc};
use events::{EventFamily, EventMetadata};
use uuid::Uuid;

use super::{Aggregate, Hooks, Outcome, Ports, RunError};
use crate::event_store::{NewEvent, Snapshots, StoreError, UnitOfWork};

/// Appends that lost a race this many times in a row give up ([`RunError::Contended`]).
const MAX_ATTEMPTS: usize = 32;

/// Runs `command` on the stream of aggregate `id`: its reads and its append share one pooled
/// connection, and the hooks' writes commit with the events. A state this process kept for the
/// stream spares the read (see [`super::KeptStates`]).
pub async fn run<A: Aggregate, H: Hooks<A>>(
    ports: &Ports,
    hooks: &H,
    id: Uuid,
    command: A::Command,
    metadata: EventMetadata,
) -> Result<Outcome<A>, RunError<A::Error>> {
    let stream = A::CATEGORY.stream_id(id);
    // Racers on one stream back off with jitter, so one of them wins each round.
    let mut backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(50))
        .with_jitter()
        .with_max_times(MAX_ATTEMPTS)
        .build();
    let mut unit = ports.store.unit_of_work().await?;
    let mut kept = ports.kept.take::<A>(&stream);
    loop {
        let fresh = kept.is_none();
        let (current, snapshot_version) = match kept.take() {
            Some(kept) => kept,
            None => {
                let (state, version) = load_on::<A>(unit.as_mut(), &stream).await?;
                (Arc::new(state), version)
            }
        };
        let now = ports.clock.now();
        let decided = current.decide(command.clone(), now);
        // A kept state may be behind the stream: only a fresh one may refuse the command or
        // find nothing to do.
        if !fresh && !matches!(&decided, Ok(events) if !events.is_empty()) {
            continue;
        }
        let events = match decided {
            Err(refused) => {
                ports.kept.keep(&stream, current, snapshot_version);
                return Err(RunError::Domain(refused));
            }
            Ok(events) => events,
        };
        if events.is_empty() {
            ports.kept.keep(&stream, current.clone(), snapshot_version);
            return Ok(Outcome {
                events,
                version: current.version(),
                state: current,
                now,
            });
        }
        let new = events
            .iter()
            .map(|e| NewEvent::new(e, metadata.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| RunError::Corrupt(e.to_string()))?;
        let ticket = hooks.before_append(&events).await;
        let writes = hooks.writes(id, &events);
        match unit.append(&stream, current.version(), new, writes).await {
            Ok(appended) => {
                // The connection and the state go back before the hooks' after-commit work (a
                // cache write-through), so the next command on the stream need not wait for it.
                drop(unit);
                let current = Arc::try_unwrap(current).unwrap_or_else(|shared| (*shared).clone());
                let after = events.iter().fold(current, |s, e| {
                    let version = s.version() + 1;
                    s.evolve(version, e)
                });
                let snapshot_version = if appended.version - snapshot_version >= A::SNAPSHOT_EVERY {
                    snapshot(ports.snapshots.clone(), &stream, after.clone(), now);
                    appended.version
                } else {
                    snapshot_version
                };
                let after = Arc::new(after);
                ports.kept.keep(&stream, after.clone(), snapshot_version);
                hooks.after_commit(id, &appended.events, ticket).await;
                return Ok(Outcome {
                    events,
                    version: appended.version,
                    state: after,
                    now,
                });
            }
            // A kept state lost to another writer: read the stream at once.
            Err(StoreError::Conflict { .. }) if !fresh => {}
            Err(StoreError::Conflict { .. }) => match backoff.next() {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(RunError::Contended),
            },
            Err(e) => return Err(e.into()),
        }
    }
}

/// The stream's current state, and the version of the snapshot it started from (0: none).
pub async fn load<A: Aggregate>(
    ports: &Ports,
    stream: &str,
) -> Result<(A, i64), RunError<A::Error>> {
    let (snapshot, tail) = ports
        .store
        .read_from_snapshot(stream, A::SNAPSHOT_FORMAT)
        .await?;
    fold(snapshot, &tail)
}

async fn load_on<A: Aggregate>(
    unit: &mut dyn UnitOfWork,
    stream: &str,
) -> Result<(A, i64), RunError<A::Error>> {
    let (snapshot, tail) = unit.read_from_snapshot(stream, A::SNAPSHOT_FORMAT).await?;
    fold(snapshot, &tail)
}

/// The state from a snapshot (JSON text, if any) and the events after it.
fn fold<A: Aggregate>(
    snapshot: Option<(i64, String)>,
    tail: &[events::RawEvent],
) -> Result<(A, i64), RunError<A::Error>> {
    let corrupt = |e: &dyn std::fmt::Display| RunError::Corrupt(e.to_string());
    let base = match snapshot {
        Some((_, json)) => serde_json::from_str::<A>(&json).map_err(|e| corrupt(&e))?,
        None => A::default(),
    };
    let from = base.version();
    let mut current = base;
    for raw in tail {
        let recorded = A::Event::from_raw(raw).map_err(|e| corrupt(&e))?;
        current = current.evolve(raw.envelope.version, &recorded.event);
    }
    Ok((current, from))
}

/// Saves `after` in the background; a failure only costs speed.
fn snapshot<A: Aggregate>(
    snapshots: Arc<dyn Snapshots>,
    stream: &str,
    after: A,
    now: DateTime<Utc>,
) {
    let after = after.for_snapshot(now);
    let stream = stream.to_owned();
    tokio::spawn(async move {
        let version = after.version();
        let saved = match serde_json::to_value(&after) {
            Ok(json) => snapshots
                .save(&stream, A::SNAPSHOT_FORMAT, version, json)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = saved {
            tracing::warn!(%error, %stream, "snapshot not saved");
        }
    });
}
