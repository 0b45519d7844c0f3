//! Keeps both directory projections running on the live generation, and moves them when a
//! rebuild switches generations: the old generation's engines stop (committing), the new
//! one's consumer groups take over where the rebuild left them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use runtime::kafka::KafkaArgs;
use sqlx::PgPool;
use store::directory::{Directory, PROJECTION};
use store::event_store::EventStore;
use store::generations::{self, Live, Watcher};
use store::session_cache::SessionCache;
use tokio_util::sync::CancellationToken;

use super::{DirectoryProjection, Side, source};
use crate::cli::DirectoryArgs;
use crate::engine::{Engine, EngineArgs, Progress};
use crate::metrics::ProjectorMetrics;
use crate::projection::Mode;

pub struct DirectoryRunner {
    pub pool: PgPool,
    pub store: Arc<dyn EventStore>,
    pub kafka: KafkaArgs,
    pub engine: EngineArgs,
    pub directory: DirectoryArgs,
    pub metrics: ProjectorMetrics,
    /// Where effective permissions are written through, on the live session-cache generation.
    pub grants: SessionCache,
    /// One per side, in [`Side::BOTH`] order.
    pub progress: [Progress; 2],
}

impl std::fmt::Debug for DirectoryRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryRunner")
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

impl DirectoryRunner {
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Some(mut live) = self.first_live(&shutdown).await else {
            return Ok(());
        };
        self.grants
            .use_live(&generations::live_or_first(&self.pool).await);
        tokio::spawn(store::session_cache::follow(
            self.pool.clone(),
            self.grants.clone(),
            shutdown.clone(),
        ));
        let mut watcher = Watcher::new(self.pool.clone(), PROJECTION);
        loop {
            let generation = live.generation;
            let stop = shutdown.child_token();
            let mut running = Vec::new();
            for (side, progress) in Side::BOTH.into_iter().zip(&self.progress) {
                let rows = Directory::new(self.pool.clone(), generation);
                let engine = Engine::new(
                    &self.kafka,
                    self.pool.clone(),
                    Arc::new(
                        DirectoryProjection::new(side, rows, self.store.clone())
                            .with_grants(self.grants.clone()),
                    ),
                    source(&self.kafka, &self.directory, side, generation, Mode::Live),
                    &self.engine,
                    self.metrics.clone(),
                    progress.clone(),
                )
                .with_context(|| format!("creating the {} consumer", side.name()))?;
                running.push(tokio::spawn(engine.run(stop.clone())));
            }
            tracing::info!(generation, "directory projections running");
            let next = loop {
                match watcher.changed(&live, &shutdown).await {
                    Some(next) if next.generation == generation => live = next,
                    next => break next,
                }
            };
            stop.cancel();
            for engine in running {
                engine.await.context("directory engine")??;
            }
            match next {
                Some(next) => {
                    tracing::info!(
                        from = generation,
                        to = next.generation,
                        "directory switched"
                    );
                    live = next;
                }
                None => return Ok(()),
            }
        }
    }

    /// The live generation, once Postgres says which: feeding a guessed one could write rows
    /// into a generation a switch already left behind.
    async fn first_live(&self, shutdown: &CancellationToken) -> Option<Live> {
        let mut wait = Duration::from_millis(100);
        loop {
            match generations::live_state(&self.pool, PROJECTION).await {
                Ok(live) => return Some(live),
                Err(error) => {
                    tracing::warn!(%error, "cannot read the directory's live generation yet");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(Duration::from_millis(self.engine.max_backoff_ms));
        }
    }
}
