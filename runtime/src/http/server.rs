//! What every server sets up the same way: one metrics registry with the HTTP metrics in it,
//! the ops endpoints with the server's readiness checks and OpenAPI document, the standard
//! middleware, and a listener on the configured address or the server's default port.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{HttpArgs, HttpMetrics, Ops, Readiness};

/// A server being put together: register metrics and add readiness checks, then bind.
pub struct ServerBuilder {
    registry: Registry,
    metrics: HttpMetrics,
    checks: Vec<Arc<dyn Readiness>>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let checks: Vec<&str> = self.checks.iter().map(|c| c.name()).collect();
        f.debug_struct("ServerBuilder")
            .field("checks", &checks)
            .finish_non_exhaustive()
    }
}

impl Default for ServerBuilder {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("identity");
        let metrics = HttpMetrics::register(&mut registry);
        Self {
            registry,
            metrics,
            checks: Vec::new(),
        }
    }
}

impl ServerBuilder {
    /// Where the server registers its own metrics.
    pub fn registry(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// A dependency `/readyz` checks.
    pub fn check(mut self, check: impl Readiness) -> Self {
        self.checks.push(Arc::new(check));
        self
    }

    /// Binds `http.listen`, or 127.0.0.1:`default_port`, serving `routes` with the ops
    /// endpoints and the standard middleware.
    pub async fn bind(
        self,
        http: &HttpArgs,
        default_port: u16,
        routes: Router,
        openapi: &impl serde::Serialize,
    ) -> anyhow::Result<Server> {
        let ops = Ops {
            registry: Arc::new(self.registry),
            checks: self.checks,
            openapi: super::openapi::with_stack_answers(
                serde_json::to_value(openapi).context("the OpenAPI document")?,
            ),
            metrics: self.metrics,
            body_limit_bytes: http.body_limit_bytes,
            request_timeout: std::time::Duration::from_secs(http.request_timeout_secs),
        };
        let addr = http.listen.unwrap_or(SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::LOCALHOST,
            default_port,
        )));
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        Ok(Server {
            listener,
            router: super::app(routes, ops),
            options: super::ServeOptions::from_args(http),
        })
    }
}

/// A bound server, ready to serve.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: Router,
    options: super::ServeOptions,
}

impl Server {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests finish.
    pub async fn serve(self, shutdown: CancellationToken) -> std::io::Result<()> {
        super::serve(self.listener, self.router, shutdown, self.options).await
    }
}
