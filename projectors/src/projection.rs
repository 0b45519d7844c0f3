//! What a read model implements to be fed by the projector runtime: apply one decoded event,
//! replay a stream from the event store when an operator redrives it, and say whether its
//! store answers. Everything else —
//! ordering, concurrency, retries, dead letters, parking, offsets, shutdown, spans, metrics —
//! is the runtime's ([`crate::engine`]), written once for every projection.

use events::RawEvent;
use events::codec::AnyEvent;
use events::topics::Category;
use store::event_store::EventStore;

/// How the runtime is feeding a projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Following the topic where the live read model left off.
    Live,
    /// Rebuilding a fresh copy from the start of the topic (blue-green).
    Replay,
}

/// Why an event could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A dependency was unreachable or slow: trying again later can succeed.
    #[error("{0}")]
    Transient(String),
    /// The event itself cannot be applied: retrying cannot help.
    #[error("{0}")]
    Permanent(String),
}

/// A store that failed may answer again; an event it cannot read back never will.
impl From<store::event_store::StoreError> for ApplyError {
    fn from(e: store::event_store::StoreError) -> Self {
        match e {
            store::event_store::StoreError::Unavailable(_) => Self::Transient(e.to_string()),
            other => Self::Permanent(other.to_string()),
        }
    }
}

impl ApplyError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }

    /// The error's class, as dead-letter headers and metrics name it.
    pub fn class(&self) -> &'static str {
        match self {
            Self::Transient(_) => "transient",
            Self::Permanent(_) => "permanent",
        }
    }
}

/// A read model fed from one topic.
#[async_trait::async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Names the projection in metrics, dead-letter headers and the parked-streams table.
    fn name(&self) -> &'static str;

    /// Applies one event; returns the outcome label (`applied`, `already_applied`, ...).
    /// Called at least once per event, in stream order: it must absorb duplicates.
    async fn apply(&self, event: &AnyEvent, mode: Mode) -> Result<&'static str, ApplyError>;

    /// Re-applies `stream_id` from `from_version` on, read from the event store (the source of
    /// truth), in order: what redriving a parked stream does. Returns the last version applied.
    async fn redrive(&self, stream_id: &str, from_version: i64) -> Result<i64, ApplyError>;

    /// Whether the read model's store answers now. An event that fails while it does not is a
    /// victim of the outage, not a poison: the runtime keeps retrying it, however long the
    /// outage lasts, and dead-letters only what fails on a store that answers.
    async fn sink_available(&self) -> bool;
}

/// [`Projection::redrive`] for a projection of one category's streams: refuses a stream of
/// another category, reads `stream_id` from `from_version` on in the event store and applies
/// each event in order with `apply`; answers the last version applied.
pub async fn redrive_stream<F, Fut>(
    store: &dyn EventStore,
    category: Category,
    projection: &str,
    stream_id: &str,
    from_version: i64,
    mut apply: F,
) -> Result<i64, ApplyError>
where
    F: FnMut(RawEvent) -> Fut,
    Fut: Future<Output = Result<(), ApplyError>>,
{
    if Category::of_stream(stream_id).ok() != Some(category) {
        return Err(ApplyError::Permanent(format!(
            "{stream_id} is not a stream of {projection}"
        )));
    }
    let from_version = from_version.max(1);
    let history = store.read_stream(stream_id, from_version).await?;
    let mut last = from_version - 1;
    for raw in history {
        let version = raw.envelope.version;
        apply(raw).await?;
        last = version;
    }
    Ok(last)
}
