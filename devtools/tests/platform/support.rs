//! One platform per test, and the client calls the tests make.

use std::time::Duration;

use command_api::auth::config::TokenArgs;
use command_api::auth::passwords::{PasswordArgs, Passwords};
use command_api::event_store::PgEventStore;
use command_api::relay::RelayArgs;
use command_api::sessions::SessionArgs;
use devtools::testing::{TestStack, eventually};
use runtime::http::HttpArgs;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const ADMIN_LOGIN: &str = "admin@example.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const ISSUER: &str = "identity-test";
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Run platform tests on a multi-threaded runtime: dropping a platform waits for its services
/// to shut down (consumers leave their group while the broker still runs).
pub struct Platform {
    pub stack: TestStack,
    pub command: String,
    pub query: String,
    pub projectors: String,
    pub master_key: String,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    services: Vec<JoinHandle<anyhow::Result<()>>>,
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
    }
}

fn ephemeral() -> HttpArgs {
    HttpArgs {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        body_limit_bytes: 64 * 1024,
    }
}

impl Platform {
    pub async fn start() -> Self {
        let stack = TestStack::start().await;
        let master_key = command_api::auth::keys::MasterKey::generate().expect("master key");
        let passwords = Passwords::new(&cheap_passwords()).expect("password parameters");
        command_api::bootstrap::bootstrap_admin(
            &PgEventStore::new(stack.db.pool.clone()),
            &passwords,
            ADMIN_LOGIN,
            &ADMIN_PASSWORD.into(),
            events::now(),
        )
        .await
        .expect("admin bootstrapped");

        let shutdown = CancellationToken::new();
        let command = command_api::Application::build(command_api::ServeArgs {
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
                master_key: master_key.clone().into(),
                issuer: ISSUER.into(),
                access_token_ttl_secs: 900,
            },
            passwords: cheap_passwords(),
            sessions: SessionArgs::default(),
            relay_enabled: true,
        })
        .await
        .expect("command-api builds");
        let projectors = projectors::Application::build(projectors::RunArgs {
            http: ephemeral(),
            db: stack.db.db_args(),
            kafka: stack.kafka.clone(),
            redis: stack.redis.clone(),
            consumer: projectors::consumer::ConsumerArgs {
                group: format!("{}session-cache", stack.kafka.topic_prefix),
                max_backoff_ms: 500,
            },
        })
        .await
        .expect("projectors build");
        let query = query_api::Application::build(query_api::ServeArgs {
            http: ephemeral(),
            db: stack.db.db_args(),
            redis: stack.redis.clone(),
            token_issuer: ISSUER.into(),
        })
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
            stack,
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

    pub async fn introspect(&self, token: &str) -> Value {
        let response = self
            .http
            .post(format!("{}/v1/tokens/introspect", self.query))
            .json(&json!({ "token": token }))
            .send()
            .await
            .expect("query-api answers");
        assert_eq!(response.status(), 200, "introspection answers");
        response.json().await.expect("introspection body")
    }

    /// Polls introspection until `token` is (in)active as expected.
    pub async fn until_active(&self, token: &str, active: bool) -> Value {
        eventually(TIMEOUT, &format!("token active = {active}"), || async {
            let answer = self.introspect(token).await;
            (answer["active"] == active).then_some(answer)
        })
        .await
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.stack.db.pool)
            .await
            .expect("count events")
    }

    pub async fn redis(&self) -> redis::aio::ConnectionManager {
        redis::aio::ConnectionManager::new(
            redis::Client::open(self.stack.redis.url.as_str()).expect("redis url"),
        )
        .await
        .expect("redis reachable")
    }
}
