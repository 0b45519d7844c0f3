//! Which streams can hold an active session: those where a session started recently enough.
//! What filling an empty cache visits; a sessions question, so it is not the event store's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::event_store::{EventStore, PgEventStore, Snapshots, StoreError, unavailable};

#[async_trait]
pub trait RecentSessions: Send + Sync + 'static {
    /// The streams where a session started at or after `since`.
    async fn streams_since(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError>;
}

/// What a cache fills from: the events, where the recent sessions are, and the snapshots that
/// spare a fold the whole stream.
pub trait SessionSource: EventStore + RecentSessions + Snapshots {}

impl<T: EventStore + RecentSessions + Snapshots> SessionSource for T {}

#[async_trait]
impl RecentSessions for PgEventStore {
    async fn streams_since(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        // The literal event type matches the partial index `events_session_started_at`.
        sqlx::query_scalar(
            "SELECT DISTINCT stream_id FROM events \
             WHERE event_type = 'session.started.v1' AND recorded_at >= $1",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await
        .map_err(unavailable)
    }
}
