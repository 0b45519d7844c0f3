//! Wiring: builds the HTTP application and the relay from configuration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use prometheus_client::registry::Registry;
use runtime::db::{DatabaseArgs, PgReadiness};
use runtime::http::{HttpMetrics, Ops};
use runtime::kafka::KafkaArgs;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::cli::{RelayOnlyArgs, ServeArgs};
use crate::relay::{Publisher, Relay, RelayArgs, RelayMetrics};

const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    8080,
));

#[derive(OpenApi)]
#[openapi(info(
    title = "identity command-api",
    description = "Commands of the identity platform"
))]
struct ApiDoc;

/// The command API server, ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    relay: Option<Relay>,
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        let pool = args.db.pool()?;
        let mut registry = Registry::with_prefix("identity");
        let http_metrics = HttpMetrics::register(&mut registry);
        let relay = if args.relay_enabled {
            Some(build_relay(
                &args.db,
                &args.kafka,
                &args.relay,
                pool.clone(),
                &mut registry,
            )?)
        } else {
            None
        };
        let router = runtime::http::app(
            Router::new(),
            ops(registry, http_metrics, &pool, args.http.body_limit_bytes)?,
        );
        let addr = args.http.listen.unwrap_or(DEFAULT_LISTEN);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        Ok(Self {
            listener,
            router,
            relay,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(DEFAULT_LISTEN)
    }

    /// Serves until `shutdown`, then waits for in-flight requests and the relay's last batch.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let relay = self.relay.map(|r| tokio::spawn(r.run(shutdown.clone())));
        runtime::http::serve(self.listener, self.router, shutdown.clone()).await?;
        if let Some(relay) = relay {
            relay.await.context("relay task")?;
        }
        Ok(())
    }
}

/// `command-api relay`: the relay alone, with its ops endpoints.
pub async fn run_relay_alone(
    args: RelayOnlyArgs,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let pool = args.db.pool()?;
    let mut registry = Registry::with_prefix("identity");
    let http_metrics = HttpMetrics::register(&mut registry);
    let relay = build_relay(
        &args.db,
        &args.kafka,
        &args.relay,
        pool.clone(),
        &mut registry,
    )?;
    let router = runtime::http::app(Router::new(), ops(registry, http_metrics, &pool, 1024)?);
    let listener = TcpListener::bind(args.listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "relay ops endpoints listening");
    let relay = tokio::spawn(relay.run(shutdown.clone()));
    runtime::http::serve(listener, router, shutdown).await?;
    relay.await.context("relay task")?;
    Ok(())
}

fn build_relay(
    db: &DatabaseArgs,
    kafka: &KafkaArgs,
    args: &RelayArgs,
    pool: PgPool,
    registry: &mut Registry,
) -> anyhow::Result<Relay> {
    let publisher = Publisher::new(kafka, Duration::from_millis(args.message_timeout_ms))
        .context("creating the Kafka producer")?;
    Ok(Relay::new(
        pool,
        db.connect_options()?,
        publisher,
        RelayMetrics::register(registry),
        args.clone(),
    ))
}

fn ops(
    registry: Registry,
    metrics: HttpMetrics,
    pool: &PgPool,
    body_limit_bytes: usize,
) -> anyhow::Result<Ops> {
    Ok(Ops {
        registry: Arc::new(registry),
        checks: vec![Arc::new(PgReadiness(pool.clone()))],
        openapi: serde_json::to_value(ApiDoc::openapi())?,
        metrics,
        body_limit_bytes,
    })
}
