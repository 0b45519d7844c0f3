//! What query-api reads about customers: one customer's account and a segment's members from
//! the customer directory the projector keeps (its live generation), and the export of
//! everything held about one (GDPR Art. 15 and 20), read straight from the event store and
//! opened with the customer's data key.

pub mod account;
pub mod export;
mod opened;
mod postgres;
pub mod segment;

use async_trait::async_trait;
use events::RawEvent;
use store::event_store::StoreError;
use uuid::Uuid;

pub use account::CustomerView;
pub use postgres::{PgCustomerDirectory, PgStreamPages};

use crate::reach::Projected;

/// The customer directory's live generation, as query-api reads it.
#[async_trait]
pub trait CustomerReads: Projected + 'static {
    /// The customer's account; `None` if it never signed up or is erased.
    async fn customer(&self, customer_id: Uuid) -> Result<Option<CustomerView>, StoreError>;
    /// The members of `segment` after `after`, in id order.
    async fn in_segment(
        &self,
        segment: &str,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError>;
}

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
