//! A fresh, uniquely named database per test, migrated, dropped when the test ends.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor};

const ADMIN_URL_ENV: &str = "TEST_DATABASE_ADMIN_URL";
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug)]
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
    admin: PgConnectOptions,
}

impl TestDatabase {
    /// Creates `test_<unique>` and applies every platform migration.
    pub async fn create() -> Self {
        Self::create_on(&admin_url()).await
    }

    /// Creates `test_<unique>` on the server of `admin_url` (a test's own server) and applies
    /// every platform migration.
    pub async fn create_on(admin_url: &str) -> Self {
        let db = Self::create_empty_on(admin_url).await;
        runtime::db::MIGRATOR
            .run(&db.pool)
            .await
            .expect("migrations apply to a fresh database");
        db
    }

    /// A connection of the test's own, outside the pool: one that holds a transaction or a
    /// lock open while the code under test runs, as another process would.
    pub async fn detached(&self) -> sqlx::PgConnection {
        self.pool.acquire().await.expect("connection").detach()
    }

    /// Creates `test_<unique>` without migrations.
    pub async fn create_empty() -> Self {
        Self::create_empty_on(&admin_url()).await
    }

    async fn create_empty_on(admin_url: &str) -> Self {
        let admin: PgConnectOptions = admin_url.parse().expect("valid admin database URL");
        let name = format!("test_{}", super::unique_suffix());
        let mut conn = admin
            .connect()
            .await
            .expect("Postgres is reachable (./dev test starts it)");
        conn.execute(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await
            .expect("create test database");
        conn.close().await.ok();
        let options = admin.clone().database(&name);
        let url = database_url(admin_url, &name);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await
            .expect("connect to the test database");
        Self {
            name,
            url,
            pool,
            admin,
        }
    }

    pub fn db_args(&self) -> runtime::db::DatabaseArgs {
        runtime::db::DatabaseArgs::for_url(&self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop cannot await on the test's runtime (it may be the one blocked here), so a thread
        // with its own runtime drops the database; FORCE ends the pools' open connections.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let mut conn = admin.connect().await.ok()?;
                let drop = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
                conn.execute(AssertSqlSafe(drop)).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            tracing::warn!(database = %self.name, "test database not dropped");
        }
    }
}

fn admin_url() -> String {
    std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| DEFAULT_ADMIN_URL.into())
}

fn database_url(admin_url: &str, name: &str) -> String {
    match admin_url.rsplit_once('/') {
        Some((base, last)) if !last.contains('@') => {
            let query = last
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            format!("{base}/{name}{query}")
        }
        _ => format!("{}/{name}", admin_url.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn database_url_replaces_only_the_database_name() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            database_url("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
