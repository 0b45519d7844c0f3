//! Snapshots: a stream's state at a version, kept beside the events so a command (or a read
//! folding the stream) replays only what came after (read with
//! `EventStore::read_from_snapshot`). One per stream and format: the command side's aggregate
//! state and the read side's fold of the same stream live side by side. Never the truth;
//! dropping them changes nothing but speed.

use async_trait::async_trait;
use sqlx::PgPool;

use super::StoreError;
use super::sql::unavailable;

#[async_trait]
pub trait Snapshots: Send + Sync + 'static {
    /// Keeps `state` as the snapshot of `format` at `version`, unless a newer one exists.
    async fn save(
        &self,
        stream_id: &str,
        format: i32,
        version: i64,
        state: serde_json::Value,
    ) -> Result<(), StoreError>;
}

#[derive(Debug, Clone)]
pub struct PgSnapshots {
    pool: PgPool,
}

impl PgSnapshots {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl Snapshots for PgSnapshots {
    async fn save(
        &self,
        stream_id: &str,
        format: i32,
        version: i64,
        state: serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO snapshots (stream_id, format, version, state) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (stream_id, format) DO UPDATE \
             SET version = excluded.version, state = excluded.state, taken_at = now() \
             WHERE snapshots.version < excluded.version",
        )
        .bind(stream_id)
        .bind(format)
        .bind(version)
        .bind(state)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(unavailable)
    }
}

#[async_trait]
impl Snapshots for super::PgEventStore {
    async fn save(
        &self,
        stream_id: &str,
        format: i32,
        version: i64,
        state: serde_json::Value,
    ) -> Result<(), StoreError> {
        PgSnapshots::new(self.pool().clone())
            .save(stream_id, format, version, state)
            .await
    }
}
