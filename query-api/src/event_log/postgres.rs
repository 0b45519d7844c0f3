//! [`EventLog`] on the Postgres event store, paged by (recorded_at, position).

use async_trait::async_trait;
use events::RawEvent;
use store::event_store::{StoreError, unavailable};

use super::{EventFilter, EventLog};
use crate::revocations::positioned;

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
        rows.iter().map(positioned).collect()
    }
}
