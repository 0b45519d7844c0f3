//! The one way every aggregate runs a command: load its latest snapshot and the events after
//! it, decide, append at the version it decided on (a lost race starts over from a fresh load,
//! with jitter), snapshot now and then, and let the context act before the append and after the
//! commit through [`Hooks`]. A command's reads and its append share one pooled connection
//! (a unit of work), and the rows its hooks write commit with its events; a state this process
//! kept from its last command on the stream spares the read. A new aggregate
//! implements [`Aggregate`]; the runner does not change for it. It knows neither HTTP nor SQL:
//! only the event-store ports.

mod kept;
mod run;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use events::EventFamily;
use events::topics::Category;
use runtime::clock::Clock;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::event_store::{EventStore, Snapshots, StoreError, TransactionalWrite};

pub use kept::KeptStates;
pub use run::{load, run};

/// An event-sourced aggregate: its state, what it is asked and what it records.
pub trait Aggregate:
    Default + Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
    type Event: EventFamily + Send + Sync;
    type Command: Clone + Send + Sync;
    type Error: Send;

    /// Its streams' category: one stream per aggregate id.
    const CATEGORY: Category;
    /// Bumped whenever the state's shape changes: older snapshots are then ignored.
    const SNAPSHOT_FORMAT: i32;
    /// A snapshot is taken once this many events accumulated after the last one.
    const SNAPSHOT_EVERY: i64;

    /// The stream version this state was folded to.
    fn version(&self) -> i64;
    /// Every rule: the events `command` causes at `now`, or why it is refused.
    fn decide(
        &self,
        command: Self::Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Self::Event>, Self::Error>;
    /// The state after `event`, recorded at `version`. Only records what happened.
    fn evolve(self, version: i64, event: &Self::Event) -> Self;
    /// About how many bytes it holds in memory, for the budget of [`KeptStates`]. By default
    /// a state of a few short fields; one that grows with its history says how much it holds.
    fn weight(&self) -> u64 {
        size_of::<Self>() as u64 + 512
    }
    /// What a snapshot taken at `now` keeps (by default the whole state).
    fn for_snapshot(self, _now: DateTime<Utc>) -> Self {
        self
    }
}

/// What a context does around an append.
#[async_trait::async_trait]
pub trait Hooks<A: Aggregate>: Send + Sync {
    /// Taken before the append and handed to [`Hooks::after_commit`].
    type Ticket: Send;
    /// Runs once the events are decided, before they are appended.
    async fn before_append(&self, events: &[A::Event]) -> Self::Ticket;
    /// Rows to write in the transaction that appends `events` to aggregate `id` (a credential,
    /// a uniqueness reservation): they commit with the events or not at all. None by default.
    fn writes(&self, _id: Uuid, _events: &[A::Event]) -> Vec<Box<dyn TransactionalWrite>> {
        Vec::new()
    }
    /// Runs after the events committed (best effort: the command has happened whatever it
    /// does).
    async fn after_commit(&self, id: Uuid, appended: &[events::RawEvent], ticket: Self::Ticket);
}

/// The ports every aggregate runs on.
#[derive(Clone)]
pub struct Ports {
    pub store: Arc<dyn EventStore>,
    pub snapshots: Arc<dyn Snapshots>,
    pub clock: Arc<dyn Clock>,
    /// The states this process last left its streams in.
    pub kept: KeptStates,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Outcome<A: Aggregate> {
    pub events: Vec<A::Event>,
    /// The aggregate after the command (shared with [`KeptStates`]).
    pub state: Arc<A>,
    /// The stream's version after the append.
    pub version: i64,
    /// The time the command was decided at.
    pub now: DateTime<Utc>,
}

/// Why a command did not happen.
#[derive(Debug)]
pub enum RunError<E> {
    /// The rules said no.
    Domain(E),
    /// The stream kept changing under the command: every retry lost its race.
    Contended,
    /// The event store failed or could not be reached; nothing was written.
    Store(StoreError),
    /// A stored stream or snapshot could not be read back.
    Corrupt(String),
}

impl<E> From<StoreError> for RunError<E> {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}
