//! Keeps the session cache trusted only in the Redis instance it was filled in. Redis's `run_id`
//! is new at every start, and a Redis that restarted (from an old RDB snapshot, say) holds
//! sessions as they were then, some revoked since. Readers distrust it at once (they compare
//! the `run_id` in every read and go to the event store); this clears the live generation's
//! keys in the new instance, fills them from the event store, and then records the instance in
//! Postgres, which readers follow.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use store::generations;
use store::session_cache::{SessionCache, SessionSource};
use tokio_util::sync::CancellationToken;

use crate::session_cache::NAME;

/// How often the instance is compared with the recorded one.
const CHECK_EVERY: Duration = Duration::from_secs(1);

pub struct InstanceKeeper {
    pub pool: PgPool,
    pub cache: SessionCache,
    pub store: Arc<dyn SessionSource>,
    /// Sessions started this long ago or later are filled (the rebuild window).
    pub window: chrono::Duration,
}

impl std::fmt::Debug for InstanceKeeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceKeeper")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl InstanceKeeper {
    pub async fn run(self, shutdown: CancellationToken) {
        let mut failing = false;
        loop {
            match self.check().await {
                Ok(()) => failing = false,
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "cannot check the session cache's Redis instance");
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(CHECK_EVERY) => {}
            }
        }
    }

    async fn check(&self) -> anyhow::Result<()> {
        let live = generations::live_state(&self.pool, NAME).await?;
        let instance = self.cache.instance().await?;
        if live.instance.as_deref() == Some(instance.as_str()) {
            return Ok(());
        }
        match &live.instance {
            None => tracing::info!(%instance, "filling the session cache in this Redis instance"),
            Some(trusted) => tracing::warn!(
                generation = live.generation,
                %trusted,
                %instance,
                "Redis is not the instance the session cache was filled in; refilling it"
            ),
        }
        let cache = self.cache.on_generation(live.generation);
        // No instance recorded yet: this deployment's first start, whose own fill (the
        // supervisor's, running beside this) wrote what Redis holds. Clearing it would make that
        // fill start over; an instance recorded before means Redis restarted since.
        let first = live.instance.is_none();
        let cleared = if first { 0 } else { cache.clear().await? };
        let principals = if first && cache.is_filled().await? {
            0
        } else {
            cache
                .fill(self.store.as_ref(), chrono::Utc::now() - self.window)
                .await?
        };
        // What was filled is in `instance` only if Redis did not restart meanwhile.
        anyhow::ensure!(
            cache.instance().await? == instance,
            "Redis restarted while the session cache was refilled"
        );
        if generations::trust(&self.pool, NAME, live.generation, &instance).await? {
            tracing::info!(
                generation = live.generation,
                %instance,
                cleared,
                principals,
                "session cache refilled; readers trust this Redis instance"
            );
        }
        Ok(())
    }
}
