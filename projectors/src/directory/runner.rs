//! Keeps both directory projections running on the live generation (see
//! [`crate::generational`]), and the grants they write through on the session cache's.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use runtime::kafka::KafkaArgs;
use sqlx::PgPool;
use store::directory::{Directory, PROJECTION};
use store::event_store::EventStore;
use store::generations;
use store::session_cache::SessionCache;
use tokio_util::sync::CancellationToken;

use super::{DirectoryProjection, Side, source};
use crate::cli::DirectoryArgs;
use crate::engine::{Engine, EngineArgs, Progress};
use crate::generational::{Started, follow_live};
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
        self.grants
            .use_live(&generations::live_or_first(&self.pool).await);
        tokio::spawn(store::session_cache::follow(
            self.pool.clone(),
            self.grants.clone(),
            shutdown.clone(),
        ));
        let max_backoff = Duration::from_millis(self.engine.max_backoff_ms);
        follow_live(
            self.pool.clone(),
            PROJECTION,
            max_backoff,
            shutdown,
            |generation, stop| self.start(generation, &stop),
        )
        .await
    }

    /// Both sides' engines on `generation`.
    fn start(&self, generation: u32, stop: &CancellationToken) -> anyhow::Result<Started> {
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
        Ok(running)
    }
}
