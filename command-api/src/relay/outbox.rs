//! What the relay reads and writes in Postgres: the committed events after its checkpoint in
//! commit order, the checkpoint itself, the age of the oldest event not yet published, and the
//! append notifications that wake it.

use std::time::Duration;

use events::RawEvent;
use sqlx::Row;
use sqlx::postgres::{PgListener, PgPool};
use store::event_store::raw_event;

use super::RelayError;
use super::order::order_streams;

/// How far the relay has got: the commit-order key of the last acknowledged event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Checkpoint {
    pub tx_id: i64,
    pub position: i64,
}

/// An event with its commit-order key.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub checkpoint: Checkpoint,
    pub event: RawEvent,
}

/// One relay's rows, under its name.
#[derive(Debug, Clone)]
pub(super) struct Outbox {
    pool: PgPool,
    name: String,
    batch_size: i64,
}

impl Outbox {
    pub(super) fn new(pool: PgPool, name: String, batch_size: i64) -> Self {
        Self {
            pool,
            name,
            batch_size,
        }
    }

    pub(super) async fn load_checkpoint(&self) -> Result<Checkpoint, RelayError> {
        sqlx::query(
            "INSERT INTO relay_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&self.name)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT tx_id::text::bigint AS tx_id, position FROM relay_checkpoints WHERE name = $1",
        )
        .bind(&self.name)
        .fetch_one(&self.pool)
        .await?;
        Ok(Checkpoint {
            tx_id: row.try_get("tx_id")?,
            position: row.try_get("position")?,
        })
    }

    /// The next committed events after `after`, in commit order, each stream's in version order.
    pub(super) async fn fetch_batch(&self, after: Checkpoint) -> Result<Vec<Outgoing>, RelayError> {
        let rows = sqlx::query(include_str!("batch.sql"))
            .bind(after.tx_id.to_string())
            .bind(after.position)
            .bind(self.batch_size)
            .fetch_all(&self.pool)
            .await?;
        let mut batch = rows
            .iter()
            .map(|row| {
                Ok(Outgoing {
                    checkpoint: Checkpoint {
                        tx_id: row.try_get("tx_id")?,
                        position: row.try_get("position")?,
                    },
                    event: raw_event(row)?,
                })
            })
            .collect::<Result<Vec<_>, RelayError>>()?;
        order_streams(&mut batch);
        Ok(batch)
    }

    /// Moves the checkpoint forward (never back, whoever else wrote it).
    pub(super) async fn save_checkpoint(&self, checkpoint: Checkpoint) -> Result<(), RelayError> {
        sqlx::query(
            "UPDATE relay_checkpoints \
             SET tx_id = $2::text::xid8, position = $3, updated_at = now() \
             WHERE name = $1 AND (tx_id, position) < ($2::text::xid8, $3)",
        )
        .bind(&self.name)
        .bind(checkpoint.tx_id.to_string())
        .bind(checkpoint.position)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Seconds since the oldest committed event after `after` was recorded; `None` when there
    /// is none.
    pub(super) async fn unpublished_age(
        &self,
        after: Checkpoint,
    ) -> Result<Option<f64>, RelayError> {
        let age: Option<Option<f64>> = sqlx::query_scalar(include_str!("lag.sql"))
            .bind(after.tx_id.to_string())
            .bind(after.position)
            .fetch_optional(&self.pool)
            .await?;
        Ok(age.map(|age| age.unwrap_or(0.0).max(0.0)))
    }

    pub(super) async fn listener(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen("events_appended").await.ok()?;
        Some(listener)
    }
}

/// Waits for an append notification or `timeout`, whichever comes first. Notifications that
/// queued up meanwhile are consumed too: one step publishes everything they announced.
pub(super) async fn wait_for_append(listener: Option<&mut PgListener>, timeout: Duration) {
    match listener {
        Some(listener) => {
            let _ = tokio::time::timeout(timeout, listener.recv()).await;
            while listener.next_buffered().is_some() {}
        }
        None => tokio::time::sleep(timeout).await,
    }
}
