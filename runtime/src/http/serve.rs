//! The accept loop. `axum::serve` sets no timer on hyper, so hyper's header-read timeout never
//! fires there: a client sending its request head a byte at a time (slow loris) holds a
//! connection, a task and a file descriptor for as long as it likes. Here every connection has
//! a deadline for its request head; on shutdown the loop stops accepting and the connections
//! finish their in-flight requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::HttpArgs;
use super::client::client_addr;

/// How long `accept` backs off after an error (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How connections are served.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A connection whose request head has not fully arrived this long after the server
    /// started waiting for it is closed.
    pub header_read_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (see [`super::ClientAddr`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl ServeOptions {
    pub fn from_args(http: &HttpArgs) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(http.header_read_timeout_secs),
            trusted_proxies: http.trusted_proxies.clone(),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then lets in-flight requests
/// finish. Each request carries `ConnectInfo<SocketAddr>` (the peer) and a
/// [`super::ClientAddr`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let trusted: Arc<[ipnet::IpNet]> = options.trusted_proxies.into();
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let trusted = trusted.clone();
        let service = app
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                let client = client_addr(remote, request.headers(), &trusted);
                let extensions = request.extensions_mut();
                extensions.insert(ConnectInfo::<SocketAddr>(remote));
                extensions.insert(client);
                request
            });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection closed with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
