//! One platform per test, and the client calls the tests make.

use std::time::Duration;

use std::sync::Arc;

use access::TokenRules;
use command_api::auth::config::{MasterKeyArgs, TokenArgs};
use command_api::auth::lockout::LockoutArgs;
use command_api::auth::passwords::{PasswordArgs, Passwords};
use command_api::auth::throttle::ThrottleArgs;
use command_api::relay::RelayArgs;
use command_api::sessions::SessionArgs;
use devtools::testing::{ManualClock, TestRedis, TestStack, eventually};
use runtime::http::HttpArgs;
use serde_json::{Value, json};
use store::event_store::PgEventStore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const ADMIN_LOGIN: &str = "admin@example.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const ISSUER: &str = "identity-test";
pub const AUDIENCE: &str = "platform-test";
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Run platform tests on a multi-threaded runtime: dropping a platform waits for its services
/// to shut down (consumers leave their group while the broker still runs).
pub struct Platform {
    pub stack: TestStack,
    /// The clock of the domain rules (expiry); tokens still expire by the real clock.
    pub clock: Arc<ManualClock>,
    pub command: String,
    pub query: String,
    pub projectors: String,
    pub master_key: String,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    services: Vec<JoinHandle<anyhow::Result<()>>>,
    /// The access token introspection is asked with, once there is one.
    introspector: tokio::sync::Mutex<Option<String>>,
    /// Stopped after the services (fields drop in order).
    redis_server: Option<TestRedis>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let services = std::mem::take(&mut self.services);
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                for service in services {
                    if let Ok(Err(error)) = service.await {
                        tracing::warn!(%error, "service stopped with an error");
                    }
                }
            });
        });
    }
}

fn cheap_passwords() -> PasswordArgs {
    PasswordArgs {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
        ..PasswordArgs::default()
    }
}

/// The issuer and audience every service of a test platform agrees on.
pub fn rules() -> TokenRules {
    TokenRules {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
    }
}

fn ephemeral() -> HttpArgs {
    HttpArgs {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        ..HttpArgs::default()
    }
}

/// What a test may change about the platform it starts.
#[derive(Debug, Clone)]
pub struct Options {
    pub sessions: SessionArgs,
    pub lockout: LockoutArgs,
    /// Rate limits; high enough by default that only the tests of the limits meet them.
    pub throttle: ThrottleArgs,
    pub access_token_ttl_secs: i64,
    /// command-api's argon2id parameters (cheap unless a test needs real cost).
    pub passwords: PasswordArgs,
    /// A Redis server of the test's own, for tests that flush it (the shared one serves the
    /// other tests running beside it).
    pub private_redis: bool,
    /// The admin URL of a Postgres server of the test's own (`TestPostgres`), for drills that
    /// restart it; the shared server otherwise.
    pub postgres_admin_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            sessions: SessionArgs::default(),
            lockout: LockoutArgs::default(),
            throttle: ThrottleArgs {
                login_per_address: 100_000,
                login_per_account: 100_000,
                refresh_per_address: 100_000,
                sign_up_per_address: 100_000,
            },
            access_token_ttl_secs: 900,
            passwords: cheap_passwords(),
            private_redis: false,
            postgres_admin_url: None,
        }
    }
}

impl Platform {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let clock = Arc::new(ManualClock::new());
        let mut stack = match &options.postgres_admin_url {
            Some(url) => TestStack::start_on_postgres(url).await,
            None => TestStack::start().await,
        };
        let redis_server = match options.private_redis {
            true => {
                let server = TestRedis::start().await;
                stack.redis.url = server.url();
                Some(server)
            }
            false => None,
        };
        let master_key = command_api::auth::keys::MasterKey::generate().expect("master key");
        let passwords = Passwords::new(&cheap_passwords()).expect("password parameters");
        command_api::bootstrap::bootstrap_admin(
            &PgEventStore::new(stack.db.pool.clone()),
            &passwords,
            &login_index(&master_key),
            ADMIN_LOGIN,
            &ADMIN_PASSWORD.into(),
            events::now(),
        )
        .await
        .expect("admin bootstrapped");

        let shutdown = CancellationToken::new();
        let command = command_api::Application::build_with_clock(
            command_api::ServeArgs {
                http: ephemeral(),
                db: stack.db.db_args(),
                kafka: stack.kafka.clone(),
                relay: RelayArgs {
                    poll_interval_ms: 50,
                    max_backoff_ms: 500,
                    message_timeout_ms: 5_000,
                    ..RelayArgs::default()
                },
                tokens: TokenArgs {
                    master: MasterKeyArgs {
                        master_key: master_key.clone().into(),
                    },
                    rules: rules(),
                    access_token_ttl_secs: options.access_token_ttl_secs,
                },
                passwords: options.passwords.clone(),
                sessions: options.sessions.clone(),
                lockout: options.lockout.clone(),
                throttle: options.throttle.clone(),
                redis: stack.redis.clone(),
                relay_enabled: true,
                owed_sweep_ms: 200,
                kept_states_mib: 16,
            },
            clock.clone(),
        )
        .await
        .expect("command-api builds");
        let projectors = projectors::Application::build(projectors::RunArgs {
            http: ephemeral(),
            db: stack.db.db_args(),
            kafka: stack.kafka.clone(),
            redis: stack.redis.clone(),
            engine: projectors::engine::EngineArgs {
                max_backoff_ms: 500,
                ..projectors::engine::EngineArgs::default()
            },
            session_cache: projectors::cli::SessionCacheArgs {
                group: format!("{}session-cache", stack.kafka.topic_prefix),
                rebuild_window_secs: 36_000,
                active_sessions_every_ms: 200,
            },
            directory: projectors::cli::DirectoryArgs {
                group_prefix: format!("{}directory", stack.kafka.topic_prefix),
            },
            customers: projectors::cli::CustomersArgs {
                consumer_group: format!("{}customer-directory", stack.kafka.topic_prefix),
            },
            master: MasterKeyArgs {
                master_key: master_key.clone().into(),
            },
        })
        .await
        .expect("projectors build");
        let query = query_api::Application::build_with_clock(
            query_api::ServeArgs {
                http: ephemeral(),
                db: stack.db.db_args(),
                redis: stack.redis.clone(),
                tokens: rules(),
                master: MasterKeyArgs {
                    master_key: master_key.clone().into(),
                },
                urls: query_api::cli::PublicUrls::default(),
            },
            clock.clone(),
        )
        .await
        .expect("query-api builds");

        let url = |addr: std::net::SocketAddr| format!("http://{addr}");
        Self {
            command: url(command.local_addr()),
            query: url(query.local_addr()),
            projectors: url(projectors.local_addr()),
            master_key,
            http: reqwest::Client::new(),
            services: vec![
                tokio::spawn(command.run(shutdown.clone())),
                tokio::spawn(projectors.run(shutdown.clone())),
                tokio::spawn(query.run(shutdown.clone())),
            ],
            shutdown,
            introspector: tokio::sync::Mutex::default(),
            stack,
            clock,
            redis_server,
        }
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/auth/login", self.command))
            .json(&json!({ "login": login, "password": password }))
            .send()
            .await
            .expect("command-api answers")
    }

    /// Logs the admin in; the token response.
    pub async fn admin_session(&self) -> Value {
        let response = self.login(ADMIN_LOGIN, ADMIN_PASSWORD).await;
        assert_eq!(response.status(), 200, "admin login");
        response.json().await.expect("token response")
    }

    pub async fn logout(&self, access_token: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/auth/logout", self.command))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("command-api answers")
    }

    /// A token to introspect with, as a service holding `tokens:introspect` has: the admin's,
    /// logged in at the first call and again after [`Platform::forget_introspector`].
    pub async fn introspector(&self) -> String {
        let mut held = self.introspector.lock().await;
        if held.is_none() {
            *held = Some(access(&self.admin_session().await).to_owned());
        }
        held.clone().expect("held")
    }

    /// Logs the introspector in anew at the next call (its session ended, or its token expired).
    pub async fn forget_introspector(&self) {
        *self.introspector.lock().await = None;
    }

    /// Introspects `token` as a service would; the answer's body.
    pub async fn introspect(&self, token: &str) -> Value {
        for _ in 0..2 {
            let response = self
                .http
                .post(format!("{}/v1/tokens/introspect", self.query))
                .bearer_auth(self.introspector().await)
                .json(&json!({ "token": token }))
                .send()
                .await
                .expect("query-api answers");
            if response.status() == 401 {
                self.forget_introspector().await;
                continue;
            }
            assert_eq!(response.status(), 200, "introspection answers");
            return response.json().await.expect("introspection body");
        }
        panic!("introspection refused a fresh admin token")
    }

    /// Polls introspection until `token` is (in)active as expected.
    pub async fn until_active(&self, token: &str, active: bool) -> Value {
        eventually(TIMEOUT, &format!("token active = {active}"), || async {
            let answer = self.introspect(token).await;
            (answer["active"] == active).then_some(answer)
        })
        .await
    }

    /// The Prometheus page of the server at `base` (`self.command`, `self.query`, …).
    pub async fn metrics(&self, base: &str) -> String {
        self.http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// The reasons the sessions of `principal` were revoked with, in stream order.
    pub async fn revocation_reasons(&self, principal: &str) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT payload->>'reason' FROM events WHERE stream_id = $1 \
             AND event_type = 'session.revoked.v1' ORDER BY version",
        )
        .bind(format!("sessions-{principal}"))
        .fetch_all(&self.stack.db.pool)
        .await
        .expect("revocations")
    }

    /// How the platform stores logins.
    pub fn logins(&self) -> store::subject_keys::LoginIndex {
        login_index(&self.master_key)
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.stack.db.pool)
            .await
            .expect("count events")
    }

    /// The Redis server of a platform started with `private_redis`.
    pub fn redis_server(&mut self) -> &mut TestRedis {
        self.redis_server
            .as_mut()
            .expect("started with private_redis")
    }

    pub async fn redis(&self) -> redis::aio::ConnectionManager {
        redis::aio::ConnectionManager::new(
            redis::Client::open(self.stack.redis.url.as_str()).expect("redis url"),
        )
        .await
        .expect("redis reachable")
    }
}

impl Platform {
    /// Creates a user with no role (so no permission) that can log in.
    pub async fn register_user(&self, login: &str, password: &str) -> uuid::Uuid {
        use command_api::auth::credentials::Credential;
        use events::users::{UserEvent, UserRegistered};
        use store::event_store::{EventStore, NewEvent, StreamAppend, Transaction};
        let user_id = uuid::Uuid::now_v7();
        let event = UserEvent::Registered(UserRegistered {
            user_id,
            email: login.into(),
            display_name: login.into(),
            registered_at: events::now(),
        });
        let hash = Passwords::new(&cheap_passwords())
            .expect("parameters")
            .hash(&password.into())
            .await
            .expect("hash");
        PgEventStore::new(self.stack.db.pool.clone())
            .commit(Transaction {
                appends: vec![StreamAppend {
                    stream_id: events::topics::Category::Users.stream_id(user_id),
                    expected_version: 0,
                    events: vec![
                        NewEvent::new(&event, events::EventMetadata::new(None)).expect("event"),
                    ],
                }],
                writes: vec![Box::new(Credential {
                    principal_id: user_id,
                    principal_type: events::PrincipalType::User,
                    login: self.logins().digest(login),
                    password_hash: hash,
                })],
            })
            .await
            .expect("user registered");
        user_id
    }

    /// Logs `login` in; the token response.
    pub async fn session_of(&self, login: &str, password: &str) -> Value {
        let response = self.login(login, password).await;
        assert_eq!(response.status(), 200, "login of {login}");
        response.json().await.expect("token response")
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/auth/refresh", self.command))
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .expect("command-api answers")
    }

    pub async fn command(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.command))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("command-api answers")
    }

    /// A command with any method (`PATCH`, `DELETE`, …); `body` is sent when given.
    pub async fn command_with(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let request = self
            .http
            .request(method, format!("{}{path}", self.command))
            .bearer_auth(token);
        let request = match body {
            Some(body) => request.json(&body),
            None => request,
        };
        request.send().await.expect("command-api answers")
    }

    pub async fn read(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.query))
            .bearer_auth(token)
            .send()
            .await
            .expect("query-api answers")
    }
}

/// The access token of a token response.
fn login_index(master_key: &str) -> store::subject_keys::LoginIndex {
    command_api::auth::keys::MasterKey::from_base64(&master_key.to_owned().into())
        .and_then(|master| master.login_index())
        .expect("master key")
}

pub fn access(session: &Value) -> &str {
    session["access_token"].as_str().expect("access token")
}
