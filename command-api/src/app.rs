//! Wiring: builds the command API server (with its relay) and the relay alone from configuration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use backon::{ExponentialBuilder, Retryable};
use runtime::clock::{Clock, SystemClock};
use runtime::db::PgReadiness;
use runtime::http::{HttpArgs, Server, ServerBuilder};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::auth::credentials::{PgCredentials, hash_stored_logins};
use crate::auth::keys::{KeyError, KeyStore, MasterKey};
use crate::auth::lockout::{Forgetting, LoginAttempts, PgLoginAttempts};
use crate::auth::passwords::Passwords;
use crate::auth::refresher::KeyRefresher;
use crate::auth::throttle::RedisThrottle;
use crate::auth::tokens::TokenIssuer;
use crate::cli::{RelayOnlyArgs, ServeArgs};
use crate::customers::routes::CustomersState;
use crate::customers::{CustomerRunner, PgCustomerRows};
use crate::relay::Relay;
use crate::roles::routes::RolesState;
use crate::roles::{PgRoleRows, RoleRunner};
use crate::sessions::login::LoginPorts;
use crate::sessions::owed::{OwedRevocations, PgOwedRevocations, Sweeper};
use crate::sessions::routes::{ApiDoc, AppState};
use crate::sessions::{PgSessionDirectory, SessionRunner};
use crate::users::owed::Unassigner;
use crate::users::routes::UsersState;
use crate::users::{PgOwedUnassignments, PgUserRows, UserRunner};
use access::{PublishedKeys, TokenVerifier};
use store::aggregate::{KeptStates, Ports};
use store::event_store::{PgEventStore, PgSnapshots};
use store::generations;
use store::session_cache::SessionCache;
use store::subject_keys::{PgSubjectKeys, SubjectKeys};

const DEFAULT_PORT: u16 = 8080;

/// The command API server, ready to run.
#[derive(Debug)]
pub struct Application {
    server: Server,
    relay: Option<Relay>,
    keys: KeyRefresher,
    pool: PgPool,
    cache: SessionCache,
    forgetting: Forgetting,
    sweeper: Sweeper,
    unassigner: Unassigner,
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        Self::build_with_clock(args, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`], with the given clock (tests move time forward with it).
    pub async fn build_with_clock(args: ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let pool = args.db.pool()?;
        let master = MasterKey::load(&args.tokens.master)?;
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
        let logins = Arc::new(master.login_index()?);
        let subjects: Arc<dyn SubjectKeys> = Arc::new(PgSubjectKeys::new(
            pool.clone(),
            Arc::new(master.subject_keys()?),
        ));
        let rehashed = hash_stored_logins(&pool, &logins)
            .await
            .context("hashing stored logins")?;
        if rehashed > 0 {
            tracing::info!(
                rows = rehashed,
                "stored logins replaced by their keyed hashes"
            );
        }
        let issuer = Arc::new(TokenIssuer::new(
            &active,
            args.tokens.rules.clone(),
            chrono::Duration::seconds(args.tokens.access_token_ttl_secs),
        ));
        let verifier = Arc::new(TokenVerifier::new(
            PublishedKeys::new(pool.clone()),
            &args.tokens.rules,
        ));
        verifier.reload().await.context("loading the public keys")?;

        let redis = args.redis.connect().context("configuring Redis")?;
        let cache = SessionCache::new(redis.clone(), args.redis.key_prefix.clone());
        let mut server = ServerBuilder::default();
        let throttle = RedisThrottle::new(
            redis,
            &args.redis.key_prefix,
            args.throttle.clone(),
            server.registry(),
        );
        let attempts: Arc<dyn LoginAttempts> = Arc::new(PgLoginAttempts::new(pool.clone()));
        let forgetting = Forgetting {
            attempts: attempts.clone(),
            args: args.lockout.clone(),
        };
        let state = AppState {
            sessions: SessionRunner {
                ports: Ports {
                    store: Arc::new(PgEventStore::new(pool.clone())),
                    snapshots: Arc::new(PgSnapshots::new(pool.clone())),
                    clock,
                    kept: KeptStates::new(args.kept_states_mib << 20),
                },
                cache: cache.clone(),
                history: Arc::new(PgEventStore::new(pool.clone())),
                policy: (&args.sessions).into(),
                subjects: subjects.clone(),
            },
            directory: Arc::new(PgSessionDirectory::new(pool.clone())),
            login: LoginPorts {
                attempts: attempts.clone(),
                credentials: Arc::new(PgCredentials::new(pool.clone())),
                passwords: Passwords::new(&args.passwords)?,
                lockout: args.lockout.clone(),
                throttle: Arc::new(throttle),
                logins: logins.clone(),
            },
            issuer: issuer.clone(),
            verifier: verifier.clone(),
        };
        let owed: Arc<dyn OwedRevocations> = Arc::new(PgOwedRevocations::new(pool.clone()));
        let sweeper = Sweeper {
            runner: state.sessions.clone(),
            ledger: owed.clone(),
            every: Duration::from_millis(args.owed_sweep_ms),
        };
        let users = UsersState {
            users: UserRunner {
                ports: state.sessions.ports.clone(),
                rows: Arc::new(PgUserRows),
                owed: owed.clone(),
                sessions: state.sessions.clone(),
                logins: logins.clone(),
            },
            sessions: state.sessions.clone(),
            passwords: state.login.passwords.clone(),
            credentials: state.login.credentials.clone(),
            throttle: state.login.throttle.clone(),
            policy: args.passwords.policy.clone(),
            verifier: verifier.clone(),
        };
        let unassigner = Unassigner {
            users: users.users.clone(),
            ledger: Arc::new(PgOwedUnassignments::new(pool.clone())),
            every: Duration::from_millis(args.owed_sweep_ms),
        };
        let roles = RolesState {
            roles: RoleRunner {
                ports: state.sessions.ports.clone(),
                rows: Arc::new(PgRoleRows),
                cache: cache.clone(),
            },
            sessions: state.sessions.clone(),
            verifier: verifier.clone(),
        };
        let customers = CustomersState {
            customers: CustomerRunner {
                ports: state.sessions.ports.clone(),
                keys: subjects,
                rows: Arc::new(PgCustomerRows),
                logins,
                owed,
                sessions: state.sessions.clone(),
            },
            sessions: state.sessions.clone(),
            passwords: state.login.passwords.clone(),
            credentials: state.login.credentials.clone(),
            policy: args.passwords.policy.clone(),
            throttle: state.login.throttle.clone(),
            verifier: verifier.clone(),
        };
        cache.use_live(&generations::live_or_first(&pool).await);

        let relay = if args.relay_enabled {
            Some(crate::relay::build(
                &args.db,
                &args.kafka,
                &args.relay,
                pool.clone(),
                server.registry(),
            )?)
        } else {
            None
        };
        let server = server
            .check(PgReadiness(pool.clone()))
            .bind(
                &args.http,
                DEFAULT_PORT,
                crate::sessions::routes::routes(state)
                    .merge(crate::users::routes::routes(users))
                    .merge(crate::roles::routes::routes(roles))
                    .merge(crate::customers::routes::routes(customers)),
                &crate::openapi::document(),
            )
            .await?;
        Ok(Self {
            server,
            relay,
            keys: KeyRefresher {
                store: keys,
                master: Arc::new(master),
                issuer,
                verifier,
            },
            pool,
            cache,
            forgetting,
            sweeper,
            unassigner,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Serves until `shutdown`, then waits for in-flight requests and the relay's last batch.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let relay = self.relay.map(|r| tokio::spawn(r.run(shutdown.clone())));
        tokio::spawn(store::session_cache::follow(
            self.pool.clone(),
            self.cache,
            shutdown.clone(),
        ));
        tokio::spawn(self.keys.run(shutdown.clone(), self.pool));
        tokio::spawn(self.forgetting.run(shutdown.clone()));
        tokio::spawn(self.sweeper.run(shutdown.clone()));
        tokio::spawn(self.unassigner.run(shutdown.clone()));
        self.server.serve(shutdown.clone()).await?;
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
    let mut server = ServerBuilder::default();
    let relay = crate::relay::build(
        &args.db,
        &args.kafka,
        &args.relay,
        pool.clone(),
        server.registry(),
    )?;
    let http = HttpArgs {
        listen: Some(args.listen),
        body_limit_bytes: 1024,
        ..HttpArgs::default()
    };
    let server = server
        .check(PgReadiness(pool))
        .bind(&http, 0, Router::new(), &ApiDoc::openapi())
        .await?;
    tracing::info!(addr = %server.local_addr(), "relay ops endpoints listening");
    let relay = tokio::spawn(relay.run(shutdown.clone()));
    server.serve(shutdown).await?;
    relay.await.context("relay task")?;
    Ok(())
}
