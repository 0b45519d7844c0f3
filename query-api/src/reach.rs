//! `?min_version=` on a read-model read: read-your-writes, bounded.

use std::time::Duration;

use async_trait::async_trait;
use store::event_store::{EventStore, StoreError};

use crate::error::QueryError;

/// A read model that records which version of each stream it applied.
#[async_trait]
pub trait Projected: Send + Sync {
    /// The latest version of `stream_id` the live generation applied (0: none).
    async fn projected_version(&self, stream_id: &str) -> Result<i64, StoreError>;
}

/// Longest a read waits for the projection to reach `?min_version=`.
const MIN_VERSION_WAIT: Duration = Duration::from_secs(2);
const MIN_VERSION_POLL: Duration = Duration::from_millis(25);

/// How far the live generation of `projection` (kept in Postgres generations) applied
/// `stream_id`: what [`Projected`] answers for such a read model.
pub async fn projected_in(
    pool: &sqlx::PgPool,
    projection: &str,
    stream_id: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(include_str!("projected_version.sql"))
        .bind(stream_id)
        .bind(projection)
        .fetch_optional(pool)
        .await
        .map(|v| v.unwrap_or(0))
        .map_err(store::event_store::unavailable)
}

/// Waits, at most [`MIN_VERSION_WAIT`], until `model` has applied `min_version` of
/// `stream_id`: read-your-writes for a client that sends the version its command returned.
/// A version the event store has not reached is refused at once; one the projection does not
/// reach in time answers 503, to be retried.
pub async fn reach(
    events: &dyn EventStore,
    model: &dyn Projected,
    stream_id: &str,
    min_version: Option<i64>,
) -> Result<(), QueryError> {
    let Some(wanted) = min_version.filter(|v| *v > 0) else {
        return Ok(());
    };
    if model.projected_version(stream_id).await? >= wanted {
        return Ok(());
    }
    if events.read_stream(stream_id, wanted).await?.is_empty() {
        return Err(QueryError::invalid(
            "version_not_reached",
            format!("{stream_id} has no version {wanted}"),
        ));
    }
    let deadline = tokio::time::Instant::now() + MIN_VERSION_WAIT;
    loop {
        if tokio::time::Instant::now() >= deadline {
            return Err(QueryError::Unavailable(format!(
                "the read model has not applied version {wanted} of {stream_id} yet"
            )));
        }
        tokio::time::sleep(MIN_VERSION_POLL).await;
        if model.projected_version(stream_id).await? >= wanted {
            return Ok(());
        }
    }
}
