//! What query-api reads about customers: the export of everything held about one (GDPR Art. 15
//! and 20), read straight from the event store and opened with the customer's data key.

pub mod export;
mod opened;
mod postgres;

use async_trait::async_trait;
use events::RawEvent;
use store::event_store::StoreError;

pub use postgres::PgStreamPages;

/// One stream's events, a page at a time, so that however long a history is, only a page of it
/// is held at once.
#[async_trait]
pub trait StreamPages: Send + Sync + 'static {
    /// At most `limit` events of `stream_id` after `after_version`, in version order; only
    /// those of `types` when given.
    async fn page(
        &self,
        stream_id: &str,
        after_version: i64,
        types: Option<&[&str]>,
        limit: i64,
    ) -> Result<Vec<RawEvent>, StoreError>;
}
