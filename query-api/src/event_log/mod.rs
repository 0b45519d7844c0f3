//! Every event of the store, searchable by admins, behind a port: filtered and paged straight
//! from the event store, newest first.

mod postgres;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::RawEvent;
use store::event_store::StoreError;

pub use postgres::PgEventLog;

/// Which events a page holds.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub stream_id: Option<String>,
    /// Streams whose id starts with this prefix and a dash (a category's).
    pub stream_prefix: Option<&'static str>,
    pub event_type: Option<String>,
    /// The id of the actor in the events' metadata (a principal id or a system name).
    pub actor_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only events before this (recorded_at, position): the page cursor.
    pub before: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

/// The event store, as the audit searches it.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// Matching events with their store positions, newest first.
    async fn search(&self, filter: &EventFilter) -> Result<Vec<(RawEvent, i64)>, StoreError>;
}
