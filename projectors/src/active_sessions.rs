//! The `identity_sessions_active` gauge: how many sessions are active now, counted in the live
//! generation of the session cache at a fixed cadence (and its ended entries trimmed).

use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use store::generations;
use store::session_cache::SessionCache;
use tokio_util::sync::CancellationToken;

use crate::session_cache::NAME;

#[derive(Debug)]
pub struct ActiveSessions {
    pub pool: PgPool,
    pub cache: SessionCache,
    pub every: Duration,
    pub gauge: Gauge,
}

impl ActiveSessions {
    /// The gauge, registered on `registry`.
    pub fn gauge(registry: &mut Registry) -> Gauge {
        let gauge = Gauge::default();
        registry.register(
            "sessions_active",
            "Sessions neither revoked nor expired, counted in the session cache",
            gauge.clone(),
        );
        gauge
    }

    pub async fn run(self, shutdown: CancellationToken) {
        let mut failing = false;
        loop {
            match self.count().await {
                Ok(active) => {
                    failing = false;
                    self.gauge.set(i64::try_from(active).unwrap_or(i64::MAX));
                }
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(%error, "cannot count the active sessions");
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.every) => {}
            }
        }
    }

    async fn count(&self) -> anyhow::Result<u64> {
        let live = generations::live_state(&self.pool, NAME).await?;
        let cache = self.cache.on_generation(live.generation);
        Ok(cache.count_active(chrono::Utc::now()).await?)
    }
}
