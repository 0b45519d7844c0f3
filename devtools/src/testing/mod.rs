//! Test support shared by every crate's integration tests: a fresh Postgres database per test,
//! Apache Kafka (one broker shared by the process's tests, topics under a prefix per test), the
//! dev schema registry in-process, and a Kafka reader. Only real services: nothing imitates one.

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
pub use redis::TestRedis;
pub use registry::TestRegistry;
pub use stack::TestStack;

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
