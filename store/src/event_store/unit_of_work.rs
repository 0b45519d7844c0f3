//! A unit of work: the reads and the append of one command on one pooled connection, and the
//! rows a context writes in the same transaction as its events.

use async_trait::async_trait;
use events::RawEvent;
use sqlx::PgConnection;
use sqlx::pool::PoolConnection;
use sqlx::postgres::Postgres;

use super::sql::{commit, insert, read_from_snapshot};
use super::{Appended, NewEvent, StoreError, StreamAppend, Transaction};

/// A row a context writes in the transaction that appends its events (a credential, a
/// uniqueness reservation, a table commands read back): committed with them or not at all.
/// Implemented by the context's storage adapter; its application code only hands it on.
#[async_trait]
pub trait TransactionalWrite: Send + Sync {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError>;
}

/// The reads and the append of one command, on one connection taken from the pool once.
#[async_trait]
pub trait UnitOfWork: Send {
    /// The stream's latest snapshot in `format` (version, JSON text) and the events after it.
    async fn read_from_snapshot(
        &mut self,
        stream_id: &str,
        format: i32,
    ) -> Result<(Option<(i64, String)>, Vec<RawEvent>), StoreError>;

    /// Appends `events` to `stream_id` at `expected_version` and commits them with `writes`,
    /// all or none. Without writes it is a single statement.
    async fn append(
        &mut self,
        stream_id: &str,
        expected_version: i64,
        events: Vec<NewEvent>,
        writes: Vec<Box<dyn TransactionalWrite>>,
    ) -> Result<Appended, StoreError>;
}

pub(super) struct PgUnitOfWork {
    conn: PoolConnection<Postgres>,
}

impl PgUnitOfWork {
    pub(super) fn new(conn: PoolConnection<Postgres>) -> Self {
        Self { conn }
    }
}

#[async_trait]
impl UnitOfWork for PgUnitOfWork {
    async fn read_from_snapshot(
        &mut self,
        stream_id: &str,
        format: i32,
    ) -> Result<(Option<(i64, String)>, Vec<RawEvent>), StoreError> {
        read_from_snapshot(&mut *self.conn, stream_id, format).await
    }

    async fn append(
        &mut self,
        stream_id: &str,
        expected_version: i64,
        events: Vec<NewEvent>,
        writes: Vec<Box<dyn TransactionalWrite>>,
    ) -> Result<Appended, StoreError> {
        if writes.is_empty() {
            return insert(&mut *self.conn, stream_id, expected_version, events).await;
        }
        let transaction = Transaction {
            appends: vec![StreamAppend {
                stream_id: stream_id.to_owned(),
                expected_version,
                events,
            }],
            writes,
        };
        commit(&mut self.conn, transaction)
            .await?
            .pop()
            .ok_or(StoreError::EmptyAppend)
    }
}
