//! Wiring: builds the HTTP application, the relay and the one-off commands from configuration.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use backon::{ExponentialBuilder, Retryable};
use prometheus_client::registry::Registry;
use runtime::clock::{Clock, SystemClock};
use runtime::db::{DatabaseArgs, PgReadiness};
use runtime::http::{HttpMetrics, Ops};
use runtime::kafka::KafkaArgs;
use secrecy::SecretString;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::auth::credentials::PgCredentials;
use crate::auth::keys::{KeyError, KeyStore, MasterKey};
use crate::auth::lockout::PgLoginAttempts;
use crate::auth::passwords::Passwords;
use crate::auth::tokens::TokenIssuer;
use crate::bootstrap::{Bootstrapped, bootstrap_admin};
use crate::cli::{BootstrapArgs, RelayOnlyArgs, RotateArgs, ServeArgs};
use crate::http::{ApiDoc, AppState};
use crate::relay::{Publisher, Relay, RelayArgs, RelayMetrics};
use crate::sessions::PgSessionDirectory;
use access::{PublishedKeys, TokenVerifier};
use store::event_store::{PgEventStore, PgSnapshots};
use store::session_cache::{SessionCache, generations};

const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    8080,
));

/// How often each instance picks up a key rotated by another one.
const KEY_REFRESH: Duration = Duration::from_secs(30);

/// The command API server, ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    relay: Option<Relay>,
    keys: KeyRefresher,
    pool: PgPool,
    cache: SessionCache,
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        Self::build_with_clock(args, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`], with the given clock (tests move time forward with it).
    pub async fn build_with_clock(args: ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let pool = args.db.pool()?;
        let master = MasterKey::from_base64(&args.tokens.master_key)?;
        let keys = KeyStore::new(pool.clone());
        let active = (|| async {
            keys.ensure_active(&master).await?;
            keys.active(&master).await
        })
        .retry(ExponentialBuilder::default().with_max_times(8))
        .when(KeyError::is_transient)
        .notify(|error, wait| tracing::warn!(%error, ?wait, "signing keys not ready; retrying"))
        .await
        .context("loading the signing key")?;
        let issuer = Arc::new(TokenIssuer::new(
            &active,
            args.tokens.issuer.clone(),
            chrono::Duration::seconds(args.tokens.access_token_ttl_secs),
        ));
        let verifier = Arc::new(TokenVerifier::new(
            PublishedKeys::new(pool.clone()),
            &args.tokens.issuer,
        ));
        verifier.reload().await.context("loading the public keys")?;

        let state = AppState {
            store: Arc::new(PgEventStore::new(pool.clone())),
            snapshots: Arc::new(PgSnapshots::new(pool.clone())),
            directory: Arc::new(PgSessionDirectory::new(pool.clone())),
            credentials: Arc::new(PgCredentials::new(pool.clone())),
            attempts: Arc::new(PgLoginAttempts::new(pool.clone())),
            passwords: Passwords::new(&args.passwords)?,
            issuer: issuer.clone(),
            verifier: verifier.clone(),
            clock,
            policy: (&args.sessions).into(),
            lockout: args.lockout.clone(),
            cache: SessionCache::new(
                args.redis.connect().context("configuring Redis")?,
                args.redis.key_prefix.clone(),
            ),
        };
        let cache = state.cache.clone();
        cache.use_generation(generations::live_or_first(&pool).await);

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
            crate::http::routes(state),
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
            keys: KeyRefresher {
                store: keys,
                master: Arc::new(master),
                issuer,
                verifier,
            },
            pool,
            cache,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(DEFAULT_LISTEN)
    }

    /// Serves until `shutdown`, then waits for in-flight requests and the relay's last batch.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let relay = self.relay.map(|r| tokio::spawn(r.run(shutdown.clone())));
        tokio::spawn(generations::follow(
            self.pool.clone(),
            self.cache,
            shutdown.clone(),
        ));
        tokio::spawn(self.keys.run(shutdown.clone(), self.pool));
        runtime::http::serve(self.listener, self.router, shutdown.clone()).await?;
        if let Some(relay) = relay {
            relay.await.context("relay task")?;
        }
        Ok(())
    }
}

/// Keeps the signing and verification keys in step with the key store (rotations).
#[derive(Debug)]
struct KeyRefresher {
    store: KeyStore,
    master: Arc<MasterKey>,
    issuer: Arc<TokenIssuer>,
    verifier: Arc<TokenVerifier>,
}

impl KeyRefresher {
    async fn run(self, shutdown: CancellationToken, pool: PgPool) {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(mut l) => l.listen("signing_keys").await.ok().map(|()| l),
            Err(_) => None,
        };
        let mut tick = tokio::time::interval(KEY_REFRESH);
        tick.tick().await;
        loop {
            let rotated = async {
                match listener.as_mut() {
                    Some(l) => {
                        if l.recv().await.is_err() {
                            // The timer covers for a listener that cannot reconnect.
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
                _ = rotated => {}
            }
            match self.store.active(&self.master).await {
                Ok(active) if active.kid != self.issuer.kid() => {
                    tracing::info!(kid = %active.kid, "signing with the rotated key");
                    self.issuer.use_key(&active);
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot refresh the signing key"),
            }
            if let Err(error) = self.verifier.reload().await {
                tracing::warn!(%error, "cannot refresh the verification keys");
            }
        }
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

/// `command-api rotate-signing-key`: a new key signs from now on; the old one keeps verifying
/// until the last token it signed has expired.
pub async fn rotate_signing_key(args: RotateArgs) -> anyhow::Result<()> {
    let pool = args.db.pool()?;
    let master = MasterKey::from_base64(&args.tokens.master_key)?;
    let kid = KeyStore::new(pool)
        .rotate(
            &master,
            chrono::Duration::seconds(args.tokens.access_token_ttl_secs),
        )
        .await
        .context("rotating the signing key")?;
    writeln!(std::io::stdout().lock(), "signing with key {kid}")?;
    Ok(())
}

/// `command-api bootstrap-admin`: prints what it did on stdout, for the operator.
pub async fn bootstrap(args: BootstrapArgs) -> anyhow::Result<()> {
    let pool = args.db.pool()?;
    let store = PgEventStore::new(pool);
    let passwords = Passwords::new(&args.passwords)?;
    let (password, generated) = match args.password {
        Some(p) => (SecretString::from(p), false),
        None => (generate_password()?, true),
    };
    let outcome = bootstrap_admin(
        &store,
        &passwords,
        &args.login,
        &password,
        SystemClock.now(),
    )
    .await
    .context("bootstrapping the admin")?;
    let mut out = std::io::stdout().lock();
    match outcome {
        Bootstrapped::Created { user_id } => {
            writeln!(out, "created admin {} (user {user_id})", args.login)?;
            if generated {
                use secrecy::ExposeSecret;
                writeln!(out, "generated password: {}", password.expose_secret())?;
            }
        }
        Bootstrapped::AlreadyDone => writeln!(out, "an admin exists already; nothing changed")?,
    }
    Ok(())
}

fn generate_password() -> anyhow::Result<SecretString> {
    use base64::Engine;
    let mut bytes = [0u8; 18];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no randomness"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .into())
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
