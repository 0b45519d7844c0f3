//! Postgres connection settings and the platform's migrations.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// Every migration of the platform, embedded from `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Postgres URL of the event store and read models.
    #[arg(
        id = "database_url",
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/identity",
        value_parser = secret
    )]
    pub url: SecretString,

    /// Upper bound of pooled connections per process.
    #[arg(
        long = "database-max-connections",
        env = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 16
    )]
    pub max_connections: u32,

    /// A transaction left idle this long is aborted by Postgres, so a stuck client cannot hold
    /// back the relay's commit horizon.
    #[arg(
        long = "database-idle-in-transaction-timeout-ms",
        env = "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub idle_in_transaction_timeout_ms: u64,
}

fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

impl DatabaseArgs {
    pub fn for_url(url: &str) -> Self {
        Self {
            url: SecretString::from(url),
            max_connections: 16,
            idle_in_transaction_timeout_ms: 10_000,
        }
    }

    pub fn connect_options(&self) -> Result<PgConnectOptions, sqlx::Error> {
        let options: PgConnectOptions = self.url.expose_secret().parse()?;
        Ok(options.options([(
            "idle_in_transaction_session_timeout",
            self.idle_in_transaction_timeout_ms.to_string(),
        )]))
    }

    /// Creates the database named in the URL if it does not exist yet.
    pub async fn create_database_if_missing(&self) -> Result<(), sqlx::Error> {
        use sqlx::migrate::MigrateDatabase;
        let url = self.url.expose_secret();
        if !sqlx::Postgres::database_exists(url).await? {
            sqlx::Postgres::create_database(url).await?;
        }
        Ok(())
    }

    /// A pool that connects lazily, so a server starts (and reports not ready) while Postgres
    /// is down, instead of refusing to start. Connections are not pinged on every acquire (a
    /// round trip per query); one that broke while idle fails its query, which answers 503,
    /// and is replaced.
    pub fn pool(&self) -> Result<PgPool, sqlx::Error> {
        Ok(PgPoolOptions::new()
            .max_connections(self.max_connections)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(self.connect_options()?))
    }
}

/// `/readyz` check: Postgres answers a query.
#[derive(Debug, Clone)]
pub struct PgReadiness(pub PgPool);

#[async_trait::async_trait]
impl crate::http::Readiness for PgReadiness {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> Result<(), String> {
        sqlx::query("SELECT 1")
            .execute(&self.0)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
