//! Which generation of each rebuildable projection is live (the session cache in Redis, the
//! directory in Postgres), and for the cache, in which Redis instance it was filled. A
//! rebuild fills generation n+1 beside the live n and switches here once caught up; every
//! process follows the switch (notification, and a poll should one be missed) and reads and
//! writes the new generation from then on. Readers trust only the recorded instance: a Redis that
//! restarted (from an old snapshot, say) holds what it held then, not what was written since.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

/// The session cache's name here.
pub const PROJECTION: &str = "session-cache";
const CHANNEL: &str = "projection_generation";
/// How often the live generation is read should a notification be missed.
pub const POLL: Duration = Duration::from_secs(2);

/// What readers of a projection's cache go by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    /// 0 until a rebuild switched.
    pub generation: u32,
    /// The Redis `run_id` the generation was filled in; `None` until a projector filled it.
    pub instance: Option<String>,
}

/// The live generation of `projection` and the instance it was filled in.
pub async fn live_state(pool: &PgPool, projection: &str) -> Result<Live, sqlx::Error> {
    let row: Option<(i32, Option<String>)> = sqlx::query_as(
        "SELECT generation, instance FROM projection_generations WHERE projection = $1",
    )
    .bind(projection)
    .fetch_optional(pool)
    .await?;
    Ok(
        row.map_or_else(Live::default, |(generation, instance)| Live {
            generation: u32::try_from(generation).unwrap_or(0),
            instance,
        }),
    )
}

/// The live generation of `projection` (0 until a rebuild switched).
pub async fn live(pool: &PgPool, projection: &str) -> Result<u32, sqlx::Error> {
    Ok(live_state(pool, projection).await?.generation)
}

/// The live state of the session cache for a process starting; generation 0 and no trusted
/// instance if Postgres cannot say yet ([`follow`] moves the cache once it can).
pub async fn live_or_first(pool: &PgPool) -> Live {
    live_state(pool, PROJECTION).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read the live cache generation yet");
        Live::default()
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

/// Makes `generation` live and tells every process; `instance` is the Redis it was filled in,
/// `None` for a projection kept in Postgres.
pub async fn switch(
    pool: &PgPool,
    projection: &str,
    generation: u32,
    instance: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO projection_generations (projection, generation, instance) VALUES ($1, $2, $3) \
         ON CONFLICT (projection) DO UPDATE \
         SET generation = excluded.generation, instance = excluded.instance, switched_at = now()",
    )
    .bind(projection)
    .bind(i32::try_from(generation).unwrap_or(i32::MAX))
    .bind(instance)
    .execute(&mut *tx)
    .await?;
    notify(&mut tx, projection).await?;
    tx.commit().await
}

/// Records that the live `generation` was (re)filled in Redis `instance`, and tells every
/// process; `false` if another generation went live meanwhile (nothing recorded).
pub async fn trust(
    pool: &PgPool,
    projection: &str,
    generation: u32,
    instance: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let recorded = sqlx::query(
        "INSERT INTO projection_generations (projection, generation, instance) VALUES ($1, $2, $3) \
         ON CONFLICT (projection) DO UPDATE SET instance = excluded.instance \
         WHERE projection_generations.generation = excluded.generation",
    )
    .bind(projection)
    .bind(i32::try_from(generation).unwrap_or(i32::MAX))
    .bind(instance)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    notify(&mut tx, projection).await?;
    tx.commit().await?;
    Ok(recorded)
}

async fn notify(tx: &mut sqlx::PgConnection, projection: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(projection)
        .execute(tx)
        .await
        .map(drop)
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

    /// The live state once it differs from `current`; `None` on shutdown.
    pub async fn changed(&mut self, current: &Live, shutdown: &CancellationToken) -> Option<Live> {
        loop {
            if self.listener.is_none() {
                self.listener = self.listen().await;
            }
            match live_state(&self.pool, self.projection).await {
                Ok(live) if live != *current => return Some(live),
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
