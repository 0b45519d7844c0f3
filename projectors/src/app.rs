//! Wiring: the projectors and their ops endpoints.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use command_api::event_store::PgEventStore;
use prometheus_client::registry::Registry;
use runtime::db::PgReadiness;
use runtime::http::{HttpMetrics, Ops};
use runtime::redis::RedisReadiness;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::cli::RunArgs;
use crate::consumer::SessionCacheProjector;
use crate::metrics::ProjectorMetrics;
use command_api::session_cache::SessionCache;

const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    8083,
));

#[derive(Debug, OpenApi)]
#[openapi(info(
    title = "identity projectors",
    description = "Operations endpoints of the projectors (health, readiness, metrics)"
))]
struct ApiDoc;

#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    projector: SessionCacheProjector,
}

impl Application {
    pub async fn build(args: RunArgs) -> anyhow::Result<Self> {
        let pool = args.db.pool()?;
        let redis = args.redis.connect().context("configuring Redis")?;
        let mut registry = Registry::with_prefix("identity");
        let http_metrics = HttpMetrics::register(&mut registry);
        let metrics = ProjectorMetrics::register(&mut registry);
        let projector = SessionCacheProjector::new(
            &args.kafka,
            &args.consumer,
            SessionCache::new(redis.clone(), args.redis.key_prefix.clone()),
            Arc::new(PgEventStore::new(pool.clone())),
            metrics,
        )
        .context("creating the session-cache consumer")?;
        let ops = Ops {
            registry: Arc::new(registry),
            checks: vec![Arc::new(PgReadiness(pool)), Arc::new(RedisReadiness(redis))],
            openapi: serde_json::to_value(ApiDoc::openapi())?,
            metrics: http_metrics,
            body_limit_bytes: args.http.body_limit_bytes,
        };
        let router = runtime::http::app(Router::new(), ops);
        let addr = args.http.listen.unwrap_or(DEFAULT_LISTEN);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        Ok(Self {
            listener,
            router,
            projector,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(DEFAULT_LISTEN)
    }

    /// Runs until `shutdown`; the projector commits what it applied before this returns.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let projector = tokio::spawn(self.projector.run(shutdown.clone()));
        runtime::http::serve(self.listener, self.router, shutdown).await?;
        projector.await.context("projector task")??;
        Ok(())
    }
}
