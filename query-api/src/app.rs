//! Wiring: the query API's adapters, routes and ops endpoints.

use std::net::SocketAddr;
use std::sync::Arc;

use access::{PublishedKeys, TokenVerifier};
use anyhow::Context;
use axum::Router;
use axum::routing::{get, post};
use runtime::clock::{Clock, SystemClock};
use runtime::db::PgReadiness;
use runtime::http::{Server, ServerBuilder};
use runtime::master_key::BadMasterKey;
use runtime::redis::RedisReadiness;
use secrecy::ExposeSecret;
use store::event_store::PgEventStore;
use store::generations;
use store::session_cache::SessionCache;
use store::session_cache::grants::Grants;
use store::subject_keys::{KeyWrapper, PgSubjectKeys};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use crate::cache_metrics::CacheMetrics;
use crate::cli::ServeArgs;
use crate::customers::{PgCustomerDirectory, PgStreamPages};
use crate::directory::{self, PgDirectory};
use crate::event_log::PgEventLog;
use crate::metadata::{self, Metadata};
use crate::revocations::PgRevocationLog;
use crate::state::AppState;
use crate::{audit, audit_events, customers, introspection, jwks, sessions};

const DEFAULT_PORT: u16 = 8082;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "identity query-api",
        description = "Reads of the identity platform"
    ),
    paths(
        introspection::introspect,
        jwks::jwks,
        metadata::metadata,
        sessions::list,
        audit::revocations,
        audit_events::events,
        directory::users::list,
        directory::users::show,
        directory::roles::list,
        directory::roles::show,
        customers::account::show,
        customers::segment::members,
        customers::export::export
    ),
    components(schemas(
        sessions::ActiveSession,
        audit::Revocation,
        audit::RevokedBy,
        audit_events::EventPage,
        audit_events::AuditedEvent,
        introspection::IntrospectionRequest,
        introspection::Introspection,
        directory::UserView,
        directory::RoleRef,
        directory::RoleView,
        directory::Holder,
        directory::users::UserPage,
        directory::roles::RolePage,
        directory::roles::RoleDetail,
        customers::CustomerView,
        customers::account::Preferences,
        customers::segment::SegmentPage,
        jwks::JwkSet,
        jwks::Jwk,
        Metadata
    ))
)]
struct ApiDoc;

#[derive(Debug)]
pub struct Application {
    server: Server,
    pool: sqlx::PgPool,
    cache: SessionCache,
    verifier: Arc<TokenVerifier>,
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        Self::build_with_clock(args, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(args: ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let pool = args.db.pool()?;
        let redis = args.redis.connect().context("configuring Redis")?;
        let keys = PublishedKeys::new(pool.clone());
        let verifier = Arc::new(TokenVerifier::new(keys.clone(), &args.tokens));
        if let Err(error) = verifier.reload().await {
            // Keys are loaded again on the first token that names one.
            tracing::warn!(%error, "signing keys not loaded yet");
        }
        let cache = SessionCache::new(redis.clone(), args.redis.key_prefix.clone());
        let wrapper = args
            .master
            .bytes()
            .and_then(|raw| KeyWrapper::derive(raw.expose_secret()).map_err(|_| BadMasterKey))
            .context("deriving the subject keys' wrapper")?;
        cache.use_live(&generations::live_or_first(&pool).await);
        let mut server = ServerBuilder::default();
        let state = AppState {
            verifier: verifier.clone(),
            keys,
            cache: cache.clone(),
            store: Arc::new(PgEventStore::new(pool.clone())),
            grants: Grants {
                cache: cache.clone(),
                store: Arc::new(PgEventStore::new(pool.clone())),
            },
            revocations: Arc::new(PgRevocationLog::new(pool.clone())),
            events: Arc::new(PgEventLog::new(pool.clone())),
            directory: Arc::new(PgDirectory::new(pool.clone())),
            subjects: Arc::new(PgSubjectKeys::new(pool.clone(), Arc::new(wrapper))),
            customers: Arc::new(PgCustomerDirectory::new(pool.clone())),
            pages: Arc::new(PgStreamPages::new(pool.clone())),
            clock,
            metadata: Arc::new(Metadata::new(&args.tokens.issuer, &args.urls)),
            cache_metrics: CacheMetrics::register(server.registry()),
        };
        let routes = Router::new()
            .route("/v1/tokens/introspect", post(introspection::introspect))
            .route("/.well-known/jwks.json", get(jwks::jwks))
            .route(
                "/.well-known/oauth-authorization-server",
                get(metadata::metadata),
            )
            .route(
                "/v1/principals/{principal_id}/sessions",
                get(sessions::list),
            )
            .route("/v1/audit/revocations", get(audit::revocations))
            .route("/v1/audit/events", get(audit_events::events))
            .route("/v1/users", get(directory::users::list))
            .route("/v1/users/{user_id}", get(directory::users::show))
            .route("/v1/roles", get(directory::roles::list))
            .route("/v1/roles/{role_id}", get(directory::roles::show))
            .route("/v1/customers/{id}", get(customers::account::show))
            .route("/v1/customers/{id}/export", get(customers::export::export))
            .route(
                "/v1/segments/{segment}/customers",
                get(customers::segment::members),
            )
            .with_state(state);

        let server = server
            .check(PgReadiness(pool.clone()))
            .check(RedisReadiness(redis))
            .bind(&args.http, DEFAULT_PORT, routes, &ApiDoc::openapi())
            .await?;
        Ok(Self {
            server,
            pool,
            cache,
            verifier,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        tokio::spawn(access::follow(
            self.pool.clone(),
            self.verifier,
            shutdown.clone(),
        ));
        tokio::spawn(store::session_cache::follow(
            self.pool,
            self.cache,
            shutdown.clone(),
        ));
        self.server.serve(shutdown).await?;
        Ok(())
    }
}
