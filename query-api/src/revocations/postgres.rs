//! [`RevocationLog`] on the Postgres event store: `session.revoked` events, filtered and
//! paged by (recorded_at, position).

use async_trait::async_trait;
use events::RawEvent;
use sqlx::Row;
use sqlx::postgres::PgRow;
use store::event_store::{StoreError, raw_event, unavailable};

use super::{Filter, RevocationLog};

#[derive(Debug, Clone)]
pub struct PgRevocationLog {
    pool: sqlx::PgPool,
}

impl PgRevocationLog {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl RevocationLog for PgRevocationLog {
    async fn page(&self, filter: &Filter) -> Result<Vec<(RawEvent, i64)>, StoreError> {
        let rows = sqlx::query(include_str!("revocations.sql"))
            .bind(&filter.stream_id)
            .bind(&filter.reason)
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

/// An event row read with its store `position` (the second half of a page cursor).
pub(crate) fn positioned(row: &PgRow) -> Result<(RawEvent, i64), StoreError> {
    let position: i64 = row
        .try_get("position")
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((raw_event(row)?, position))
}
