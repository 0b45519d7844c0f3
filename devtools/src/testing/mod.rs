//! Test support shared by every crate's integration tests: a fresh Postgres database per test,
//! Apache Kafka (one broker shared by the process's tests, topics under a prefix per test), the
//! dev schema registry in-process, and a Kafka reader. Only real services: nothing imitates one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod broker;
mod clock;
mod kafka;
mod postgres;
mod postgres_server;
mod redis;
mod registry;
mod stack;

pub use broker::{TestBroker, free_port, shared_broker};
pub use clock::ManualClock;
pub use kafka::{Record, assert_per_stream_order, read_topic};
pub use postgres::TestDatabase;
pub use postgres_server::TestPostgres;
pub use redis::{TestRedis, contents as redis_contents};
pub use registry::TestRegistry;
pub use stack::TestStack;

/// The file the services of this test process log to, as in production (JSON, the default
/// filter): `$TEST_SERVICE_LOGS/<pid>.log`, or the same under the system's temporary directory.
/// The first call installs the process's logging.
pub fn service_log() -> &'static Path {
    static LOG: OnceLock<PathBuf> = OnceLock::new();
    LOG.get_or_init(|| {
        let dir = std::env::var_os("TEST_SERVICE_LOGS")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("identity-platform-service-logs"));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("the service log directory {}: {e}", dir.display()));
        let log = dir.join(format!("{}.log", std::process::id()));
        runtime::telemetry::init_for_tests(&log);
        log
    })
}

/// A unique lowercase suffix for database names, topic prefixes and Redis key prefixes.
pub fn unique_suffix() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: std::time::Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
