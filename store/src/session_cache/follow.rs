//! Keeping a process's session cache on the live generation.

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::SessionCache;
use crate::generations::{PROJECTION, Watcher};

/// Keeps `cache` on the live generation, trusting the instance it was filled in, until
/// `shutdown`.
pub async fn follow(pool: PgPool, cache: SessionCache, shutdown: CancellationToken) {
    let mut watcher = Watcher::new(pool, PROJECTION);
    while let Some(live) = watcher.changed(&cache.live(), &shutdown).await {
        tracing::info!(live.generation, ?live.instance, "session cache follows");
        cache.use_live(&live);
    }
}
