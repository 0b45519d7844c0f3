//! [`StreamPages`] on the Postgres event store, keyed by (stream_id, version).

use async_trait::async_trait;
use events::RawEvent;
use store::event_store::{StoreError, raw_event, unavailable};

use super::StreamPages;

#[derive(Debug, Clone)]
pub struct PgStreamPages {
    pool: sqlx::PgPool,
}

impl PgStreamPages {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl StreamPages for PgStreamPages {
    async fn page(
        &self,
        stream_id: &str,
        after_version: i64,
        types: Option<&[&str]>,
        limit: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        let types: Option<Vec<String>> = types.map(|t| t.iter().map(|s| (*s).to_owned()).collect());
        let rows = sqlx::query(
            "SELECT event_id, stream_id, version, event_type, payload, metadata, recorded_at \
             FROM events WHERE stream_id = $1 AND version > $2 \
             AND ($3::text[] IS NULL OR event_type = ANY($3)) \
             ORDER BY version LIMIT $4",
        )
        .bind(stream_id)
        .bind(after_version)
        .bind(types)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(raw_event).collect()
    }
}
