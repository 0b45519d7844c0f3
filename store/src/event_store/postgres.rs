//! [`EventStore`] on Postgres: one `events` table, a unique `(stream_id, version)` for
//! optimistic concurrency, and the writing transaction's id for the relay's commit order.

use async_trait::async_trait;
use events::RawEvent;
use sqlx::postgres::PgPool;

use super::sql::{commit, insert, raw_event, read_from_snapshot, unavailable};
use super::unit_of_work::PgUnitOfWork;
use super::{Appended, EventStore, NewEvent, StoreError, Transaction, UnitOfWork};

#[derive(Debug, Clone)]
pub struct PgEventStore {
    pool: PgPool,
}

impl PgEventStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, for this crate's other Postgres queries on the events table.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(
        &self,
        stream_id: &str,
        expected_version: i64,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError> {
        // One statement, so one implicit transaction and one round trip: all rows or none. Its
        // insert is the transaction's only write, so the xid that orders it for the relay is
        // taken after the stream was read and decided on.
        insert(&self.pool, stream_id, expected_version, events).await
    }

    async fn commit(&self, transaction: Transaction) -> Result<Vec<Appended>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        commit(&mut conn, transaction).await
    }

    async fn unit_of_work(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        let conn = self.pool.acquire().await.map_err(unavailable)?;
        Ok(Box::new(PgUnitOfWork::new(conn)))
    }

    async fn read_from_snapshot(
        &self,
        stream_id: &str,
        format: i32,
    ) -> Result<(Option<(i64, String)>, Vec<RawEvent>), StoreError> {
        read_from_snapshot(&self.pool, stream_id, format).await
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        sqlx::query(
            "SELECT event_id, stream_id, version, event_type, payload, metadata, recorded_at \
             FROM events WHERE stream_id = $1 AND version >= $2 ORDER BY version",
        )
        .bind(stream_id)
        .bind(from_version)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?
        .iter()
        .map(raw_event)
        .collect()
    }
}
