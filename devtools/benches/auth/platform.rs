//! The three servers in this process against fresh backing services, as the benchmark needs
//! them; logs go to a file, as they would go somewhere in production.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use access::TokenRules;
use command_api::auth::config::{MasterKeyArgs, TokenArgs};
use command_api::auth::credentials::Credential;
use command_api::auth::keys::MasterKey;
use command_api::auth::lockout::LockoutArgs;
use command_api::auth::passwords::{PasswordArgs, Passwords};
use command_api::auth::throttle::ThrottleArgs;
use command_api::bootstrap::bootstrap_admin;
use command_api::relay::RelayArgs;
use command_api::sessions::SessionArgs;
use devtools::metrics;
use devtools::testing::{TestStack, unique_suffix};
use events::users::{UserEvent, UserRegistered};
use events::{EventMetadata, PrincipalType};
use runtime::http::HttpArgs;
use runtime::telemetry::TelemetryArgs;
use serde_json::{Value, json};
use store::event_store::{EventStore, NewEvent, PgEventStore, StreamAppend, Transaction};
use store::subject_keys::LoginIndex;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub struct Platform {
    pub stack: TestStack,
    pub command: SocketAddr,
    pub query: SocketAddr,
    pub projectors: SocketAddr,
    passwords: PasswordArgs,
    logins: LoginIndex,
    http: reqwest::Client,
    /// The token introspection is asked with, and when it was issued.
    introspector: tokio::sync::Mutex<Option<(Instant, String)>>,
    _shutdown: tokio_util::sync::DropGuard,
    _telemetry: runtime::telemetry::Telemetry,
}

fn rules() -> TokenRules {
    TokenRules {
        issuer: "bench".into(),
        audience: "bench".into(),
    }
}

fn ephemeral() -> HttpArgs {
    HttpArgs {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        ..HttpArgs::default()
    }
}

impl Platform {
    pub async fn start(passwords: PasswordArgs) -> anyhow::Result<Self> {
        let log = std::env::temp_dir().join(format!("bench-auth-{}.log", unique_suffix()));
        let file = std::fs::File::create(&log)?;
        eprintln!("service logs: {}", log.display());
        let telemetry = runtime::telemetry::init_with_writer(
            "bench",
            &TelemetryArgs {
                otlp_endpoint: None,
                log_filter: "info,sqlx=warn".into(),
            },
            std::sync::Mutex::new(file),
        )?;
        let stack = TestStack::start().await;
        let master_key = MasterKey::generate()?;
        let shutdown = CancellationToken::new();
        let command = command_api::Application::build(command_api::ServeArgs {
            http: ephemeral(),
            db: stack.db.db_args(),
            kafka: stack.kafka.clone(),
            relay: RelayArgs::default(),
            tokens: TokenArgs {
                master: MasterKeyArgs {
                    master_key: master_key.clone().into(),
                },
                rules: rules(),
                access_token_ttl_secs: 900,
            },
            passwords: passwords.clone(),
            sessions: SessionArgs::default(),
            lockout: LockoutArgs::default(),
            // The benchmarks measure throughput from one address: no limit.
            throttle: ThrottleArgs {
                login_per_address: 0,
                login_per_account: 0,
                refresh_per_address: 0,
                sign_up_per_address: 0,
            },
            redis: stack.redis.clone(),
            relay_enabled: true,
            owed_sweep_ms: 5_000,
        })
        .await?;
        let projectors = projectors::Application::build(projectors::RunArgs {
            http: ephemeral(),
            db: stack.db.db_args(),
            kafka: stack.kafka.clone(),
            redis: stack.redis.clone(),
            engine: projectors::engine::EngineArgs {
                max_backoff_ms: 1000,
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
        .await?;
        let query = query_api::Application::build(query_api::ServeArgs {
            http: ephemeral(),
            db: stack.db.db_args(),
            redis: stack.redis.clone(),
            tokens: rules(),
            master: MasterKeyArgs {
                master_key: master_key.clone().into(),
            },
            urls: query_api::cli::PublicUrls::default(),
        })
        .await?;
        let platform = Self {
            command: command.local_addr(),
            query: query.local_addr(),
            projectors: projectors.local_addr(),
            passwords,
            logins: MasterKey::from_base64(&master_key.into())?.login_index()?,
            http: reqwest::Client::new(),
            introspector: tokio::sync::Mutex::default(),
            _shutdown: shutdown.clone().drop_guard(),
            _telemetry: telemetry,
            stack,
        };
        tokio::spawn(command.run(shutdown.clone()));
        tokio::spawn(projectors.run(shutdown.clone()));
        tokio::spawn(query.run(shutdown));
        Ok(platform)
    }

    /// `n` users with passwords hashed with the benchmark's parameters.
    pub async fn users(&self, n: usize) -> anyhow::Result<Vec<(String, String)>> {
        let store = PgEventStore::new(self.stack.db.pool.clone());
        let passwords = Passwords::new(&self.passwords)?;
        let mut users = Vec::new();
        for i in 0..n {
            let (login, password) = (format!("user{i}@bench.test"), format!("password {i}"));
            let user_id = Uuid::now_v7();
            let event = UserEvent::Registered(UserRegistered {
                user_id,
                email: login.clone(),
                display_name: login.clone(),
                registered_at: events::now(),
            });
            store
                .commit(Transaction {
                    appends: vec![StreamAppend {
                        stream_id: events::topics::Category::Users.stream_id(user_id),
                        expected_version: 0,
                        events: vec![NewEvent::new(&event, EventMetadata::new(None))?],
                    }],
                    writes: vec![Box::new(Credential {
                        principal_id: user_id,
                        principal_type: PrincipalType::User,
                        login: self.logins.digest(&login),
                        password_hash: passwords.hash(&password.clone().into()).await?,
                    })],
                })
                .await?;
            users.push((login, password));
        }
        Ok(users)
    }

    /// An access token holding `tokens:introspect`, as a service introspects with: the
    /// bootstrap admin's (bootstrapped at the first call), logged in again every ten minutes,
    /// before it expires.
    pub async fn introspector(&self) -> anyhow::Result<String> {
        const LOGIN: &str = "introspector@bench.test";
        const PASSWORD: &str = "an introspecting service";
        let mut held = self.introspector.lock().await;
        if held.is_none() {
            let store = PgEventStore::new(self.stack.db.pool.clone());
            let passwords = Passwords::new(&self.passwords)?;
            let password = PASSWORD.into();
            bootstrap_admin(
                &store,
                &passwords,
                &self.logins,
                LOGIN,
                &password,
                events::now(),
            )
            .await?;
        }
        match held.as_ref() {
            Some((at, token)) if at.elapsed() < Duration::from_secs(600) => Ok(token.clone()),
            _ => {
                let session = self.login(LOGIN, PASSWORD).await?;
                let token = session["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                *held = Some((Instant::now(), token.clone()));
                Ok(token)
            }
        }
    }

    pub async fn login(&self, login: &str, password: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("http://{}/v1/auth/login", self.command))
            .json(&json!({ "login": login, "password": password }))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "login of {login}: {}",
            response.status()
        );
        Ok(response.json().await?)
    }

    /// Waits until the relay and the projector have caught up, so one phase's backlog does not
    /// load the next one.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let mut previous = None;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let relay = self.metrics(self.command).await?;
            let projected = self.metrics(self.projectors).await?;
            let applied = metrics::sum(&projected, "identity_projector_events_total", &[]);
            let caught_up = metrics::value(&relay, "identity_relay_lag_seconds") == Some(0.0);
            if caught_up && previous == Some(applied) {
                return Ok(());
            }
            previous = Some(applied);
        }
    }

    async fn metrics(&self, addr: SocketAddr) -> anyhow::Result<String> {
        Ok(self
            .http
            .get(format!("http://{addr}/metrics"))
            .send()
            .await?
            .text()
            .await?)
    }

    /// p50 and p99, in seconds, of the projector's commit → applied histogram.
    pub async fn projector_lag(&self) -> anyhow::Result<(f64, f64)> {
        let text = self.metrics(self.projectors).await?;
        let buckets = metrics::buckets(&text, "identity_projector_event_lag_seconds");
        Ok((
            metrics::quantile(&buckets, 0.5),
            metrics::quantile(&buckets, 0.99),
        ))
    }
}
