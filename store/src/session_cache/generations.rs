//! Which generation of the session cache is live. A rebuild fills generation n+1 beside the
//! live n and switches here once caught up; every process follows the switch (notification,
//! and a poll should one be missed) and reads and writes the new keys from then on.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::SessionCache;

pub const PROJECTION: &str = "session-cache";
const CHANNEL: &str = "projection_generation";
/// How often the live generation is read should a notification be missed.
pub const POLL: Duration = Duration::from_secs(2);

/// The live generation of `projection` (0 until a rebuild switched).
pub async fn live(pool: &PgPool, projection: &str) -> Result<u32, sqlx::Error> {
    let generation: Option<i32> =
        sqlx::query_scalar("SELECT generation FROM projection_generations WHERE projection = $1")
            .bind(projection)
            .fetch_optional(pool)
            .await?;
    Ok(generation.map_or(0, |g| u32::try_from(g).unwrap_or(0)))
}

/// The live generation of the session cache for a process starting; generation 0 if Postgres
/// cannot say yet ([`follow`] moves the cache once it can).
pub async fn live_or_first(pool: &PgPool) -> u32 {
    live(pool, PROJECTION).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read the live cache generation yet");
        0
    })
}

/// A generation number never used before, for a rebuild to fill (so an abandoned rebuild's
/// keys and consumer offsets are never mistaken for a fresh start).
pub async fn allocate(pool: &PgPool, projection: &str) -> Result<u32, sqlx::Error> {
    let generation: i32 = sqlx::query_scalar(
        "INSERT INTO projection_generations (projection, generation, allocated) VALUES ($1, 0, 1) \
         ON CONFLICT (projection) DO UPDATE \
         SET allocated = GREATEST(projection_generations.allocated, projection_generations.generation) + 1 \
         RETURNING allocated",
    )
    .bind(projection)
    .fetch_one(pool)
    .await?;
    Ok(u32::try_from(generation).unwrap_or(0))
}

/// Makes `generation` live and tells every process.
pub async fn switch(pool: &PgPool, projection: &str, generation: u32) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO projection_generations (projection, generation) VALUES ($1, $2) \
         ON CONFLICT (projection) DO UPDATE SET generation = excluded.generation, switched_at = now()",
    )
    .bind(projection)
    .bind(i32::try_from(generation).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(projection)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Watches the live generation of one projection.
#[derive(Debug)]
pub struct Watcher {
    pool: PgPool,
    projection: &'static str,
    listener: Option<PgListener>,
}

impl Watcher {
    pub fn new(pool: PgPool, projection: &'static str) -> Self {
        Self {
            pool,
            projection,
            listener: None,
        }
    }

    /// The live generation once it differs from `current`; `None` on shutdown.
    pub async fn changed(&mut self, current: u32, shutdown: &CancellationToken) -> Option<u32> {
        loop {
            if self.listener.is_none() {
                self.listener = self.listen().await;
            }
            match live(&self.pool, self.projection).await {
                Ok(g) if g != current => return Some(g),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot read the live cache generation"),
            }
            let notified = async {
                match self.listener.as_mut() {
                    Some(l) => l.recv().await.map(drop),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(POLL) => {}
                received = notified => {
                    if received.is_err() {
                        self.listener = None;
                    }
                }
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(CHANNEL).await.ok()?;
        Some(listener)
    }
}

/// Keeps `cache` on the live generation until `shutdown`.
pub async fn follow(pool: PgPool, cache: SessionCache, shutdown: CancellationToken) {
    let mut watcher = Watcher::new(pool, PROJECTION);
    while let Some(generation) = watcher.changed(cache.generation(), &shutdown).await {
        tracing::info!(generation, "session cache switched generation");
        cache.use_generation(generation);
    }
}
