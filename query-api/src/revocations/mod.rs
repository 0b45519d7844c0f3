//! The revocation events the audit reads, behind a port: filtered and paged straight from the
//! event store.

mod postgres;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::RawEvent;
use store::event_store::StoreError;

pub use postgres::PgRevocationLog;
pub(crate) use postgres::positioned;

/// Which revocations a page holds.
#[derive(Debug, Clone)]
pub struct Filter {
    pub stream_id: Option<String>,
    pub reason: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only revocations before this (recorded_at, position): the page cursor.
    pub before: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

/// The revocation events, read from the event store.
#[async_trait]
pub trait RevocationLog: Send + Sync + 'static {
    /// Matching `session.revoked` events with their store positions, newest first.
    async fn page(&self, filter: &Filter) -> Result<Vec<(RawEvent, i64)>, StoreError>;
}
