//! One drill's world: real Postgres, broker, registry and Redis; events appended to the event
//! store as the command side would, and published by the real relay. Nothing but the projector
//! under test writes the session cache.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use command_api::relay::{Publisher, Relay, RelayArgs, RelayMetrics};
use devtools::testing::{Record, TestStack, eventually, read_topic};
use events::sessions::{
    RevocationReason, SessionEvent, SessionRefreshed, SessionRevoked, SessionStarted,
};
use events::topics::Category;
use events::{Actor, EventMetadata, PrincipalType};
use projectors::RunArgs;
use projectors::cli::{RebuildArgs, SessionCacheArgs};
use projectors::engine::EngineArgs;
use runtime::http::HttpArgs;
use runtime::redis::RedisArgs;
use store::event_store::{EventStore, NewEvent, PgEventStore};
use store::session_cache::{CachedSession, SessionCache, from_events};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub struct Drill {
    pub stack: TestStack,
    pub store: Arc<PgEventStore>,
    /// The master key the drill's projectors open customers' events with.
    pub master_key: String,
    versions: Mutex<HashMap<Uuid, i64>>,
    shutdown: CancellationToken,
    relay: Option<JoinHandle<()>>,
}

impl Drop for Drill {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(relay) = self.relay.take() {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async {
                    relay.await.ok();
                });
            });
        }
    }
}

impl Drill {
    /// The backing services and a running relay.
    pub async fn start() -> Self {
        let stack = TestStack::start().await;
        let shutdown = CancellationToken::new();
        let relay_args = RelayArgs {
            poll_interval_ms: 50,
            max_backoff_ms: 500,
            message_timeout_ms: 10_000,
            ..RelayArgs::default()
        };
        let relay = Relay::new(
            stack.db.pool.clone(),
            stack
                .db
                .db_args()
                .connect_options()
                .expect("connect options"),
            Publisher::new(&stack.kafka, Duration::from_secs(10)).expect("producer"),
            RelayMetrics::register(&mut prometheus_client::registry::Registry::default()),
            relay_args,
        );
        let relay = tokio::spawn(relay.run(shutdown.clone()));
        Self {
            store: Arc::new(PgEventStore::new(stack.db.pool.clone())),
            stack,
            master_key: command_api::auth::keys::MasterKey::generate().expect("master key"),
            versions: Mutex::default(),
            shutdown,
            relay: Some(relay),
        }
    }

    pub fn sessions_topic(&self) -> String {
        self.stack.kafka.topics().events(Category::Sessions)
    }

    /// The records of the sessions dead-letter topic, read until `done` (or [`TIMEOUT`]).
    pub async fn dead_letters(
        &self,
        done: impl Fn(&[Record]) -> bool + Send + 'static,
    ) -> Vec<Record> {
        let topic = self.stack.kafka.topics().dead_letters(Category::Sessions);
        read_topic(&self.stack.kafka.brokers, &topic, TIMEOUT, done).await
    }

    /// How a projectors process of this drill is configured (`redis`: the shared test Redis or
    /// a drill's own).
    pub fn run_args(&self, redis: &RedisArgs) -> RunArgs {
        RunArgs {
            http: HttpArgs {
                listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
                ..HttpArgs::default()
            },
            db: self.stack.db.db_args(),
            kafka: self.stack.kafka.clone(),
            redis: redis.clone(),
            engine: EngineArgs {
                max_backoff_ms: 200,
                ..EngineArgs::default()
            },
            session_cache: SessionCacheArgs {
                group: format!("{}session-cache", self.stack.kafka.topic_prefix),
                rebuild_window_secs: 36_000,
                active_sessions_every_ms: 200,
            },
            directory: projectors::cli::DirectoryArgs {
                group_prefix: format!("{}directory", self.stack.kafka.topic_prefix),
            },
            customers: projectors::cli::CustomersArgs {
                consumer_group: format!("{}customer-directory", self.stack.kafka.topic_prefix),
            },
            master: runtime::master_key::MasterKeyArgs {
                master_key: self.master_key.clone().into(),
            },
        }
    }

    /// The session cache as query-api reads it: on the live generation, answering only from
    /// the Redis instance the projector filled it in.
    pub fn cache(&self, redis: &RedisArgs) -> SessionCache {
        let cache = SessionCache::new(redis.connect().expect("redis"), redis.key_prefix.clone());
        tokio::spawn(store::session_cache::follow(
            self.stack.db.pool.clone(),
            cache.clone(),
            self.shutdown.clone(),
        ));
        cache
    }

    async fn append(&self, principal: Uuid, event: SessionEvent) {
        self.append_with(principal, event, EventMetadata::new(None))
            .await;
    }

    async fn append_with(&self, principal: Uuid, event: SessionEvent, metadata: EventMetadata) {
        let expected = *self
            .versions
            .lock()
            .expect("versions")
            .entry(principal)
            .or_default();
        let new = NewEvent::new(&event, metadata).expect("event");
        let appended = self
            .store
            .append(
                &Category::Sessions.stream_id(principal),
                expected,
                vec![new],
            )
            .await
            .expect("appended");
        self.versions
            .lock()
            .expect("versions")
            .insert(principal, appended.version);
    }

    /// Appends a session start for `principal`; the session's id.
    pub async fn start_session(&self, principal: Uuid) -> Uuid {
        self.start_session_with(principal, EventMetadata::new(None))
            .await
    }

    /// Appends a session start for `principal` by a command with this trace context.
    pub async fn start_session_with(&self, principal: Uuid, metadata: EventMetadata) -> Uuid {
        let session_id = Uuid::now_v7();
        let now = events::now();
        self.append_with(
            principal,
            SessionEvent::Started(SessionStarted {
                session_id,
                principal_id: principal,
                principal_type: PrincipalType::User,
                refresh_token_hash: format!("{:064x}", session_id.as_u128()),
                user_agent: Some("drill".into()),
                ip: Some("192.0.2.1".into()),
                started_at: now,
                idle_timeout_secs: 3_600,
                expires_at: now + chrono::Duration::hours(8),
            }),
            metadata,
        )
        .await;
        session_id
    }

    pub async fn refresh(&self, principal: Uuid, session_id: Uuid) {
        self.append(
            principal,
            SessionEvent::Refreshed(SessionRefreshed {
                session_id,
                refresh_token_hash: format!("{:064x}", Uuid::now_v7().as_u128()),
                refreshed_at: events::now(),
            }),
        )
        .await;
    }

    pub async fn revoke(&self, principal: Uuid, session_id: Uuid) {
        self.append(
            principal,
            SessionEvent::Revoked(SessionRevoked {
                session_id,
                reason: RevocationReason::AdminRevoke,
                metadata: BTreeMap::from([("ticket".into(), "drill".into())]),
                revoked_by: Actor::principal(PrincipalType::User, principal),
                revoked_at: events::now(),
            }),
        )
        .await;
    }

    /// Every principal events were appended for.
    pub fn principals(&self) -> Vec<Uuid> {
        self.versions
            .lock()
            .expect("versions")
            .keys()
            .copied()
            .collect()
    }

    /// The sessions of `principal` as the event store says they are.
    pub async fn truth(&self, principal: Uuid) -> BTreeMap<Uuid, CachedSession> {
        from_events(self.store.as_ref(), principal)
            .await
            .expect("truth")
    }

    /// Whether `cache` holds every session of `principal` exactly as the event store says.
    pub async fn cache_matches(&self, cache: &SessionCache, principal: Uuid) -> bool {
        for (id, truth) in self.truth(principal).await {
            match cache.get(principal, id).await {
                Ok(Some(cached)) if cached == truth => {}
                _ => return false,
            }
        }
        true
    }

    /// Waits until `cache` matches the event store for every principal.
    pub async fn wait_until_cache_matches(&self, cache: &SessionCache) {
        let principals = self.principals();
        eventually(TIMEOUT, "the cache to match the event store", || async {
            for p in &principals {
                if !self.cache_matches(cache, *p).await {
                    return None;
                }
            }
            Some(())
        })
        .await;
    }
}

pub async fn metrics_page(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics body")
}

/// A rebuild of what the projectors run with `run` project.
pub fn rebuild_args(run: &RunArgs) -> RebuildArgs {
    RebuildArgs {
        db: run.db.clone(),
        kafka: run.kafka.clone(),
        redis: run.redis.clone(),
        engine: EngineArgs::default(),
        session_cache: run.session_cache.clone(),
    }
}

/// The `projectors` binary, configured for this drill's services through its environment.
pub fn projectors_command(drill: &Drill, redis: &RedisArgs) -> tokio::process::Command {
    let kafka = &drill.stack.kafka;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_projectors"));
    command
        .env("DATABASE_URL", &drill.stack.db.url)
        .env("KAFKA_BROKERS", &kafka.brokers)
        .env("TOPIC_PREFIX", &kafka.topic_prefix)
        .env("TOPIC_PARTITIONS", kafka.partitions.to_string())
        .env("SCHEMA_REGISTRY_URL", &kafka.schema_registry_url)
        .env("REDIS_URL", &redis.url)
        .env("REDIS_KEY_PREFIX", &redis.key_prefix)
        .env(
            "CONSUMER_GROUP",
            format!("{}session-cache", kafka.topic_prefix),
        )
        .env(
            "CUSTOMERS_CONSUMER_GROUP",
            format!("{}customer-directory", kafka.topic_prefix),
        )
        .env("MASTER_KEY", &drill.master_key)
        .env("RETRY_MAX_BACKOFF_MS", "200")
        .env("RUST_LOG", "warn")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}

/// Runs an operator command of the binary to completion; its stdout, one JSON value a line.
pub async fn operator(drill: &Drill, redis: &RedisArgs, args: &[&str]) -> Vec<serde_json::Value> {
    let output = projectors_command(drill, redis)
        .args(args)
        .output()
        .await
        .expect("projectors runs");
    assert!(
        output.status.success(),
        "projectors {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON value a line"))
        .collect()
}

/// A projectors application running inside the test's process.
pub struct Running {
    pub base: String,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    pub async fn start(args: RunArgs) -> Self {
        let app = projectors::Application::build(args)
            .await
            .expect("projectors build");
        let base = format!("http://{}", app.local_addr());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.run(shutdown.clone()));
        // Ready: its cache filled and its consumer holding partitions.
        let ready = format!("{base}/readyz");
        eventually(TIMEOUT, "the projectors to be ready", || async {
            let answer = reqwest::get(&ready).await.ok()?;
            (answer.status() == 200).then_some(())
        })
        .await;
        Self {
            base,
            shutdown,
            task,
        }
    }

    /// Stops it as SIGTERM would; panics unless it stops cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task
            .await
            .expect("projectors task")
            .expect("projectors stop cleanly");
    }
}

/// Starts, refreshes and now and then revokes sessions of `principals` in turn, pausing
/// `pause` between rounds, until `stop`.
pub async fn write_until(
    drill: Arc<Drill>,
    principals: Vec<Uuid>,
    stop: Arc<AtomicBool>,
    pause: Duration,
) {
    let mut round = 0usize;
    while !stop.load(Ordering::Acquire) {
        let p = principals[round % principals.len()];
        let session = drill.start_session(p).await;
        drill.refresh(p, session).await;
        if round.is_multiple_of(3) {
            drill.revoke(p, session).await;
        }
        round += 1;
        tokio::time::sleep(pause).await;
    }
}
