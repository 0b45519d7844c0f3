//! [`EventLog`] on the Postgres event store, paged by (recorded_at, position).

use async_trait::async_trait;
use events::RawEvent;
use sqlx::Row;
use store::event_store::{StoreError, raw_event, unavailable};

use super::{EventFilter, EventLog};

#[derive(Debug, Clone)]
pub struct PgEventLog {
    pool: sqlx::PgPool,
}

impl PgEventLog {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl EventLog for PgEventLog {
    async fn search(&self, filter: &EventFilter) -> Result<Vec<(RawEvent, i64)>, StoreError> {
        let rows = sqlx::query(include_str!("search.sql"))
            .bind(&filter.stream_id)
            .bind(filter.stream_prefix)
            .bind(&filter.event_type)
            .bind(&filter.actor_id)
            .bind(filter.since)
            .bind(filter.until)
            .bind(filter.before.map(|c| c.0))
            .bind(filter.before.map(|c| c.1))
            .bind(filter.limit)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                let raw = raw_event(row)?;
                let position: i64 = row
                    .try_get("position")
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((raw, position))
            })
            .collect()
    }
}
