//! Which principal a session belongs to, for commands that name only the session.

use async_trait::async_trait;
use uuid::Uuid;

use store::event_store::StoreError;

#[async_trait]
pub trait SessionDirectory: Send + Sync + 'static {
    async fn principal_of(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError>;
}
