//! Keeps a Postgres read model's engines on its live generation, and moves them when a rebuild
//! switches generations: the old generation's engines stop (committing), the new one's
//! consumer groups take over where the rebuild left them. Shared by every read model kept in
//! generations (the directory, the customer directory).

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use store::generations::{self, Live, Watcher};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The engines of one generation, each running until the token it was given is cancelled.
pub type Started = Vec<JoinHandle<anyhow::Result<()>>>;

/// Runs `start(generation, stop)` on the live generation of `projection` until `shutdown`,
/// again on each generation a switch makes live.
pub async fn follow_live(
    pool: PgPool,
    projection: &'static str,
    max_backoff: Duration,
    shutdown: CancellationToken,
    mut start: impl FnMut(u32, CancellationToken) -> anyhow::Result<Started>,
) -> anyhow::Result<()> {
    let Some(mut live) = first_live(&pool, projection, max_backoff, &shutdown).await else {
        return Ok(());
    };
    let mut watcher = Watcher::new(pool, projection);
    loop {
        let generation = live.generation;
        let stop = shutdown.child_token();
        let running = start(generation, stop.clone())?;
        tracing::info!(projection, generation, "projections running");
        let next = loop {
            match watcher.changed(&live, &shutdown).await {
                Some(next) if next.generation == generation => live = next,
                next => break next,
            }
        };
        stop.cancel();
        for engine in running {
            engine.await.context("projection engine")??;
        }
        match next {
            Some(next) => {
                tracing::info!(
                    projection,
                    from = generation,
                    to = next.generation,
                    "switched"
                );
                live = next;
            }
            None => return Ok(()),
        }
    }
}

/// The live generation, once Postgres says which: feeding a guessed one could write rows into
/// a generation a switch already left behind.
async fn first_live(
    pool: &PgPool,
    projection: &str,
    max_backoff: Duration,
    shutdown: &CancellationToken,
) -> Option<Live> {
    let mut wait = Duration::from_millis(100);
    loop {
        match generations::live_state(pool, projection).await {
            Ok(live) => return Some(live),
            Err(error) => {
                tracing::warn!(%error, projection, "cannot read the live generation yet");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(max_backoff);
    }
}
