//! The sessions context's Postgres adapter: the session directory, answered by the event store
//! itself (an index on `session.started` events), so it is never stale.

use async_trait::async_trait;
use sqlx::PgPool;
use store::event_store::StoreError;
use store::session_cache::principal_of;
use uuid::Uuid;

use super::SessionDirectory;

#[derive(Debug, Clone)]
pub struct PgSessionDirectory {
    pool: PgPool,
}

impl PgSessionDirectory {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl SessionDirectory for PgSessionDirectory {
    async fn principal_of(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let stream: Option<String> = sqlx::query_scalar(
            "SELECT stream_id FROM events \
             WHERE event_type = 'session.started.v1' AND payload->>'session_id' = $1",
        )
        .bind(session_id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        Ok(stream.as_deref().and_then(principal_of))
    }
}
