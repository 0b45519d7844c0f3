//! The event store: append-only streams with optimistic concurrency. Domain code and handlers
//! see only this trait; the Postgres implementation lives in [`postgres`].

mod inline;
mod postgres;
mod snapshots;

use events::{EventError, EventFamily, EventMetadata, PrincipalType, RawEvent};
use uuid::Uuid;

pub(crate) use postgres::unavailable;
pub use postgres::{PgEventStore, raw_event};
pub use snapshots::{PgSnapshots, Snapshots};

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

/// A principal's login and password hash, stored beside (never inside) the events that create
/// or change the principal.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub principal_id: Uuid,
    pub principal_type: PrincipalType,
    pub login: String,
    pub password_hash: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("principal_id", &self.principal_id)
            .field("principal_type", &self.principal_type)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// Everything one command writes: appends to any number of streams and the credentials they
/// set, committed all together or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transaction {
    pub appends: Vec<StreamAppend>,
    pub credentials: Vec<Credential>,
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
    /// Another principal already has this login.
    #[error("login is taken")]
    LoginTaken,
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

    /// Commits every append and credential of `transaction` in one database transaction.
    async fn commit(&self, transaction: Transaction) -> Result<Vec<Appended>, StoreError>;

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
