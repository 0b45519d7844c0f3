//! Which principal a session belongs to, for commands that name only the session. Answered by
//! the event store itself (an index on `session.started` events), so it is never stale.

use async_trait::async_trait;
use events::topics::Category;
use sqlx::PgPool;
use uuid::Uuid;

use store::event_store::StoreError;

#[async_trait]
pub trait SessionDirectory: Send + Sync + 'static {
    async fn principal_of(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError>;
}

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
        Ok(stream.and_then(|s| {
            s.strip_prefix(Category::Sessions.stream_prefix())?
                .strip_prefix('-')?
                .parse()
                .ok()
        }))
    }
}
