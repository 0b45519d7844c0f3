//! Wiring: the session-cache projection on the projector runtime, kept on the live cache
//! generation, the directory and customer directory projections on theirs, and the ops
//! endpoints.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use events::topics::Category;
use runtime::db::PgReadiness;
use runtime::http::{Readiness, Server, ServerBuilder};
use runtime::kafka::KafkaArgs;
use runtime::redis::RedisReadiness;
use sqlx::PgPool;
use store::event_store::PgEventStore;
use store::generations::{self, Watcher};
use store::session_cache::{SessionCache, SessionSource};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::active_sessions::ActiveSessions;
use crate::cli::{RunArgs, SessionCacheArgs};
use crate::customers::CustomerRunner;
use crate::directory::DirectoryRunner;
use crate::engine::{Engine, EngineArgs, Progress, Source};
use crate::instance::InstanceKeeper;
use crate::metrics::ProjectorMetrics;
use crate::projection::Mode;
use crate::session_cache::{NAME, SessionCacheProjection};

const DEFAULT_PORT: u16 = 8083;

#[derive(Debug, OpenApi)]
#[openapi(info(
    title = "identity projectors",
    description = "Operations endpoints of the projectors (health, readiness, metrics)"
))]
struct ApiDoc;

#[derive(Debug)]
pub struct Application {
    server: Server,
    supervisor: Supervisor,
    directory: DirectoryRunner,
    customers: CustomerRunner,
    active_sessions: ActiveSessions,
}

impl Application {
    pub async fn build(args: RunArgs) -> anyhow::Result<Self> {
        let pool = args.db.pool()?;
        let redis = args.redis.connect().context("configuring Redis")?;
        let mut server = ServerBuilder::default();
        let metrics = ProjectorMetrics::register(server.registry());
        let active_sessions = ActiveSessions::gauge(server.registry());
        let progress = Progress::default();
        let directory_progress = [Progress::default(), Progress::default()];
        let customer_progress = Progress::default();
        let topics = args.kafka.topics();
        let source: Vec<String> = Category::ALL
            .into_iter()
            .flat_map(|c| [topics.events(c), topics.dead_letters(c)])
            .collect();
        if let Err(error) = runtime::kafka::ensure_topics(&args.kafka, &source).await {
            tracing::warn!(%error, "cannot make sure the topics exist");
        }
        let server = server
            .check(PgReadiness(pool.clone()))
            .check(RedisReadiness(redis.clone()))
            .check(ConsumerReadiness(
                [progress.clone(), customer_progress.clone()]
                    .into_iter()
                    .chain(directory_progress.iter().cloned())
                    .collect(),
            ))
            .bind(&args.http, DEFAULT_PORT, Router::new(), &ApiDoc::openapi())
            .await?;
        let store = Arc::new(PgEventStore::new(pool.clone()));
        let keys = crate::customers::subject_keys(&args.master, &pool)?;
        Ok(Self {
            server,
            active_sessions: ActiveSessions {
                pool: pool.clone(),
                cache: SessionCache::new(redis.clone(), args.redis.key_prefix.clone()),
                every: Duration::from_millis(args.session_cache.active_sessions_every_ms),
                gauge: active_sessions,
            },
            customers: CustomerRunner {
                pool: pool.clone(),
                store: store.clone(),
                keys,
                kafka: args.kafka.clone(),
                engine: args.engine.clone(),
                customers: args.customers,
                metrics: metrics.clone(),
                progress: customer_progress,
            },
            directory: DirectoryRunner {
                pool: pool.clone(),
                store: store.clone(),
                kafka: args.kafka.clone(),
                engine: args.engine.clone(),
                directory: args.directory,
                metrics: metrics.clone(),
                grants: SessionCache::new(redis.clone(), args.redis.key_prefix.clone()),
                progress: directory_progress,
            },
            supervisor: Supervisor {
                store,
                cache: SessionCache::new(redis, args.redis.key_prefix.clone()),
                pool,
                kafka: args.kafka,
                engine: args.engine,
                session_cache: args.session_cache,
                metrics,
                progress,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Runs until `shutdown`; the projector commits what it applied before this returns.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let keeper = InstanceKeeper {
            pool: self.supervisor.pool.clone(),
            cache: self.supervisor.cache.clone(),
            store: self.supervisor.store.clone(),
            window: chrono::Duration::seconds(self.supervisor.session_cache.rebuild_window_secs),
        };
        let keeper = tokio::spawn(keeper.run(shutdown.clone()));
        let projector = tokio::spawn(self.supervisor.run(shutdown.clone()));
        let directory = tokio::spawn(self.directory.run(shutdown.clone()));
        let customers = tokio::spawn(self.customers.run(shutdown.clone()));
        let active_sessions = tokio::spawn(self.active_sessions.run(shutdown.clone()));
        self.server.serve(shutdown).await?;
        projector.await.context("projector task")??;
        directory.await.context("directory task")??;
        customers.await.context("customer directory task")??;
        keeper.await.context("instance keeper task")?;
        active_sessions.await.context("active sessions task")?;
        Ok(())
    }
}

/// `/readyz` check: every consumer holds partitions.
struct ConsumerReadiness(Vec<Progress>);

#[async_trait::async_trait]
impl Readiness for ConsumerReadiness {
    fn name(&self) -> &'static str {
        "kafka-consumer"
    }

    async fn check(&self) -> Result<(), String> {
        if self.0.iter().all(Progress::is_assigned) {
            Ok(())
        } else {
            Err("no partitions assigned".into())
        }
    }
}

/// Runs the session-cache projection on the live generation, and moves it when a rebuild
/// switches generations: the engine of the old one stops (committing), the new one's consumer
/// group takes over where the rebuild left it.
struct Supervisor {
    pool: PgPool,
    kafka: KafkaArgs,
    engine: EngineArgs,
    session_cache: SessionCacheArgs,
    cache: SessionCache,
    store: Arc<dyn SessionSource>,
    metrics: ProjectorMetrics,
    progress: Progress,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut watcher = Watcher::new(self.pool.clone(), NAME);
        let mut live = generations::live_or_first(&self.pool).await;
        loop {
            let generation = live.generation;
            let projection = Arc::new(SessionCacheProjection::new(
                self.cache.on_generation(generation),
                self.store.clone(),
            ));
            projection
                .fill_if_empty(
                    chrono::Duration::seconds(self.session_cache.rebuild_window_secs),
                    Duration::from_millis(self.engine.max_backoff_ms),
                    &shutdown,
                )
                .await;
            let engine = Engine::new(
                &self.kafka,
                self.pool.clone(),
                projection,
                session_source(&self.kafka, &self.session_cache, generation, Mode::Live),
                &self.engine,
                self.metrics.clone(),
                self.progress.clone(),
            )
            .context("creating the session-cache consumer")?;
            tracing::info!(generation, "session-cache projection running");
            let stop = shutdown.child_token();
            let running = tokio::spawn(engine.run(stop.clone()));
            // A newly trusted instance changes nothing here; a switch moves the engine.
            let next = loop {
                match watcher.changed(&live, &shutdown).await {
                    Some(next) if next.generation == generation => live = next,
                    next => break next,
                }
            };
            stop.cancel();
            running.await.context("projector engine")??;
            match next {
                Some(next) => {
                    tracing::info!(
                        from = generation,
                        to = next.generation,
                        "switching cache generation"
                    );
                    live = next;
                }
                None => return Ok(()),
            }
        }
    }
}

/// Where the session-cache projection of `generation` reads from.
pub fn session_source(
    kafka: &KafkaArgs,
    args: &SessionCacheArgs,
    generation: u32,
    mode: Mode,
) -> Source {
    let topics = kafka.topics();
    Source {
        topic: topics.events(Category::Sessions),
        dead_letter_topic: topics.dead_letters(Category::Sessions),
        group: args.group_of(generation),
        mode,
    }
}
