//! The three servers as processes, started from their release binaries the way they run in
//! production, against fresh backing services; their logs go to one file. Being processes,
//! each one's memory and CPU are its own to measure.

mod process;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use command_api::auth::credentials::Credential;
use command_api::auth::keys::MasterKey;
use command_api::auth::passwords::{PasswordArgs, Passwords};
use command_api::bootstrap::bootstrap_admin;
use devtools::metrics;
use devtools::testing::{TestStack, unique_suffix};
use events::users::{UserEvent, UserRegistered};
use events::{EventMetadata, PrincipalType};
use serde_json::{Value, json};
use store::event_store::{EventStore, NewEvent, PgEventStore, StreamAppend, Transaction};
use store::subject_keys::LoginIndex;
use uuid::Uuid;

pub use process::Server;
use process::{Launch, binary, start};

pub struct Platform {
    /// command-api, projectors, query-api; declared first, so they are killed before the stack
    /// they run on is dropped.
    pub servers: [Server; 3],
    pub stack: TestStack,
    pub command: SocketAddr,
    pub query: SocketAddr,
    pub projectors: SocketAddr,
    launch: Launch,
    passwords: PasswordArgs,
    logins: LoginIndex,
    http: reqwest::Client,
    /// The token introspection is asked with, and when it was issued.
    introspector: tokio::sync::Mutex<Option<(Instant, String)>>,
}

impl Platform {
    pub async fn start(passwords: PasswordArgs) -> anyhow::Result<Self> {
        Self::start_on(TestStack::start().await, passwords).await
    }

    /// The servers on a stack that already holds data (the scale bench's bulk load).
    pub async fn start_on(stack: TestStack, passwords: PasswordArgs) -> anyhow::Result<Self> {
        let log = std::env::temp_dir().join(format!("bench-auth-{}.log", unique_suffix()));
        eprintln!("service logs: {}", log.display());
        let launch = Launch {
            master_key: MasterKey::generate()?,
            log: std::fs::File::create(&log)?,
        };
        let mut command = launch.command(&binary("command-api")?, &stack)?;
        command
            .arg("serve")
            .env("ACCESS_TOKEN_TTL_SECS", "900")
            .env("ARGON2_MEMORY_KIB", passwords.memory_kib.to_string())
            .env("ARGON2_ITERATIONS", passwords.iterations.to_string())
            .env("ARGON2_PARALLELISM", passwords.parallelism.to_string())
            // The benchmarks measure throughput from one address: no limit.
            .env("LOGIN_RATE_PER_ADDRESS", "0")
            .env("LOGIN_RATE_PER_ACCOUNT", "0")
            .env("REFRESH_RATE_PER_ADDRESS", "0")
            .env("SIGN_UP_RATE_PER_ADDRESS", "0");
        let command = start("command-api", command).await?;
        let prefix = &stack.kafka.topic_prefix;
        let mut projectors = launch.command(&binary("projectors")?, &stack)?;
        projectors
            .arg("run")
            .env("CONSUMER_GROUP", format!("{prefix}session-cache"))
            .env("DIRECTORY_CONSUMER_GROUP", format!("{prefix}directory"))
            .env(
                "CUSTOMERS_CONSUMER_GROUP",
                format!("{prefix}customer-directory"),
            )
            .env("REBUILD_WINDOW_SECS", "36000")
            .env("RETRY_MAX_BACKOFF_MS", "1000");
        let projectors = start("projectors", projectors).await?;
        let mut query = launch.command(&binary("query-api")?, &stack)?;
        query.arg("serve");
        let query = start("query-api", query).await?;
        Ok(Self {
            command: command.addr,
            query: query.addr,
            projectors: projectors.addr,
            servers: [command, projectors, query],
            passwords,
            logins: MasterKey::from_base64(&launch.master_key.clone().into())?.login_index()?,
            launch,
            http: reqwest::Client::new(),
            introspector: tokio::sync::Mutex::default(),
            stack,
        })
    }

    /// Starts `program` with `args` as a process of this platform (configured and logging as
    /// its servers are), listening on a free port; ready once it answers `/readyz`.
    pub async fn start_process(
        &self,
        name: &'static str,
        program: &Path,
        args: &[&str],
    ) -> anyhow::Result<Server> {
        let mut command = self.launch.command(program, &self.stack)?;
        command.args(args);
        start(name, command).await
    }

    /// Each server's name and resident memory now, in MB.
    pub fn rss_mb(&self) -> Vec<(&'static str, f64)> {
        self.servers.iter().map(|s| (s.name, s.rss_mb())).collect()
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
        let buckets = metrics::buckets(
            &text,
            "identity_projector_event_lag_seconds",
            &[("projection", "session-cache")],
        );
        Ok((
            metrics::quantile(&buckets, 0.5),
            metrics::quantile(&buckets, 0.99),
        ))
    }
}
