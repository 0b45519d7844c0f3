//! `?min_version=` on a directory read: read-your-writes, bounded.

use std::time::Duration;

use crate::error::QueryError;
use crate::state::AppState;

/// Longest a read waits for the projection to reach `?min_version=`.
const MIN_VERSION_WAIT: Duration = Duration::from_secs(2);
const MIN_VERSION_POLL: Duration = Duration::from_millis(25);

/// Waits, at most [`MIN_VERSION_WAIT`], until the directory has applied `min_version` of
/// `stream_id`: read-your-writes for a client that sends the version its command returned.
/// A version the event store has not reached is refused at once; one the projection does not
/// reach in time answers 503, to be retried.
pub async fn reach(
    state: &AppState,
    stream_id: &str,
    min_version: Option<i64>,
) -> Result<(), QueryError> {
    let Some(wanted) = min_version.filter(|v| *v > 0) else {
        return Ok(());
    };
    if state.directory.projected_version(stream_id).await? >= wanted {
        return Ok(());
    }
    if state.store.read_stream(stream_id, wanted).await?.is_empty() {
        return Err(QueryError::invalid(
            "version_not_reached",
            format!("{stream_id} has no version {wanted}"),
        ));
    }
    let deadline = tokio::time::Instant::now() + MIN_VERSION_WAIT;
    loop {
        if tokio::time::Instant::now() >= deadline {
            return Err(QueryError::Unavailable(format!(
                "the directory has not applied version {wanted} of {stream_id} yet"
            )));
        }
        tokio::time::sleep(MIN_VERSION_POLL).await;
        if state.directory.projected_version(stream_id).await? >= wanted {
            return Ok(());
        }
    }
}
