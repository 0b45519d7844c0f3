//! The event store: append-only streams with optimistic concurrency. Domain code and handlers
//! see only this trait; the Postgres implementation lives in [`postgres`].

mod postgres;
mod snapshots;
mod sql;
mod unit_of_work;

use events::{EventError, EventFamily, EventMetadata, RawEvent};
use uuid::Uuid;

pub use postgres::PgEventStore;
pub use snapshots::{PgSnapshots, Snapshots};
pub use sql::{raw_event, unavailable, violated_constraint};
pub use unit_of_work::{TransactionalWrite, UnitOfWork};

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub metadata: EventMetadata,
}

impl NewEvent {
    pub fn new<E: EventFamily>(event: &E, metadata: EventMetadata) -> Result<Self, EventError> {
        Ok(Self {
            event_id: Uuid::now_v7(),
            event_type: event.event_type().name.to_owned(),
            payload: event.to_payload()?,
            metadata,
        })
    }
}

/// Appends to one stream inside a [`Transaction`].
#[derive(Debug, Clone, PartialEq)]
pub struct StreamAppend {
    pub stream_id: String,
    /// The version the stream must be at; 0 for a stream that must not exist yet.
    pub expected_version: i64,
    pub events: Vec<NewEvent>,
}

/// Everything one command writes: appends to any number of streams and the context's own rows
/// (a credential, a uniqueness reservation), committed all together or not at all.
#[derive(Default)]
pub struct Transaction {
    pub appends: Vec<StreamAppend>,
    pub writes: Vec<Box<dyn TransactionalWrite>>,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("appends", &self.appends)
            .field("writes", &self.writes.len())
            .finish()
    }
}

/// What an append wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    /// The stream's version after the append.
    pub version: i64,
    pub events: Vec<RawEvent>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the stream since it was read: reload, decide again, retry.
    #[error("stream {stream_id} is not at version {expected}")]
    Conflict { stream_id: String, expected: i64 },
    #[error("an append needs at least one event")]
    EmptyAppend,
    /// A value that must be unique (a login, a name) is already held; names what.
    #[error("{0} is taken")]
    Taken(&'static str),
    /// A row the command refers to is gone (a role deleted meanwhile); names what.
    #[error("{0} is gone")]
    Missing(&'static str),
    /// The database could not be reached or failed; nothing was written.
    #[error("event store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored row could not be read back as an event.
    #[error("stored event is unreadable: {0}")]
    Corrupt(String),
}

#[async_trait::async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream_id` as versions `expected_version + 1 ..`, all or none.
    /// `expected_version` is 0 for a stream that must not exist yet.
    async fn append(
        &self,
        stream_id: &str,
        expected_version: i64,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError>;

    /// Commits every append and write of `transaction` in one database transaction.
    async fn commit(&self, transaction: Transaction) -> Result<Vec<Appended>, StoreError>;

    /// One pooled connection for the reads and the append of one command.
    async fn unit_of_work(&self) -> Result<Box<dyn UnitOfWork>, StoreError>;

    /// The stream's latest snapshot in `format` (version, JSON text) and the events after it
    /// (all of them when there is none), in one round trip.
    async fn read_from_snapshot(
        &self,
        stream_id: &str,
        format: i32,
    ) -> Result<(Option<(i64, String)>, Vec<RawEvent>), StoreError>;

    /// The events of `stream_id` from `from_version` on, in version order.
    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: i64,
    ) -> Result<Vec<RawEvent>, StoreError>;
}
