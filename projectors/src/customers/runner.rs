//! Keeps the customer directory projection running on its live generation (see
//! [`crate::generational`]).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use runtime::kafka::KafkaArgs;
use sqlx::PgPool;
use store::customer_directory::{CustomerDirectory, PROJECTION};
use store::event_store::EventStore;
use store::subject_keys::SubjectKeys;
use tokio_util::sync::CancellationToken;

use super::{CustomerProjection, source};
use crate::cli::CustomersArgs;
use crate::engine::{Engine, EngineArgs, Progress};
use crate::generational::{Started, follow_live};
use crate::metrics::ProjectorMetrics;
use crate::projection::Mode;

pub struct CustomerRunner {
    pub pool: PgPool,
    pub store: Arc<dyn EventStore>,
    /// The customers' data keys, which open their events' personal fields.
    pub keys: Arc<dyn SubjectKeys>,
    pub kafka: KafkaArgs,
    pub engine: EngineArgs,
    pub customers: CustomersArgs,
    pub metrics: ProjectorMetrics,
    pub progress: Progress,
}

impl std::fmt::Debug for CustomerRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerRunner")
            .field("customers", &self.customers)
            .finish_non_exhaustive()
    }
}

impl CustomerRunner {
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
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

    fn start(&self, generation: u32, stop: &CancellationToken) -> anyhow::Result<Started> {
        let projection = CustomerProjection::new(
            CustomerDirectory::new(self.pool.clone(), generation),
            self.keys.clone(),
            self.store.clone(),
        );
        let engine = Engine::new(
            &self.kafka,
            self.pool.clone(),
            Arc::new(projection),
            source(&self.kafka, &self.customers, generation, Mode::Live),
            &self.engine,
            self.metrics.clone(),
            self.progress.clone(),
        )
        .context("creating the customer directory's consumer")?;
        Ok(vec![tokio::spawn(engine.run(stop.clone()))])
    }
}
