//! The backing services of one test: a fresh database, the platform's topics under a unique
//! prefix on the shared broker (or on a broker of the test's own, for drills that stop it), the
//! dev schema registry, and a unique Redis key prefix.

use runtime::kafka::KafkaArgs;
use runtime::redis::RedisArgs;

use super::{TestBroker, TestDatabase, TestRegistry, shared_broker, unique_suffix};

const REDIS_URL_ENV: &str = "TEST_REDIS_URL";
/// Tests use their own Redis database, so flushing it leaves a local `./dev up` alone.
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/1";

#[derive(Debug)]
pub struct TestStack {
    pub db: TestDatabase,
    /// The test's own broker, when it was started with [`TestStack::start_with_own_broker`].
    pub own_broker: Option<TestBroker>,
    pub registry: TestRegistry,
    pub kafka: KafkaArgs,
    pub redis: RedisArgs,
}

impl TestStack {
    /// A stack on the broker the process's tests share.
    pub async fn start() -> Self {
        Self::on(shared_broker().to_owned(), None).await
    }

    /// A stack on a broker of its own, for drills that kill and restart it.
    pub async fn start_with_own_broker() -> Self {
        let broker = TestBroker::start().await;
        Self::on(broker.bootstrap(), Some(broker)).await
    }

    /// A stack whose database lives on the Postgres server of `admin_url` (a test's own, for
    /// drills that restart it).
    pub async fn start_on_postgres(admin_url: &str) -> Self {
        let db = TestDatabase::create_on(admin_url).await;
        Self::with(db, shared_broker().to_owned(), None).await
    }

    /// The test's own broker; panics when the stack shares the process's broker.
    pub fn broker(&mut self) -> &mut TestBroker {
        self.own_broker
            .as_mut()
            .expect("a stack started with TestStack::start_with_own_broker")
    }

    async fn on(brokers: String, own_broker: Option<TestBroker>) -> Self {
        Self::with(TestDatabase::create().await, brokers, own_broker).await
    }

    async fn with(db: TestDatabase, brokers: String, own_broker: Option<TestBroker>) -> Self {
        super::service_log();
        let registry = TestRegistry::start().await;
        let suffix = unique_suffix();
        let kafka = KafkaArgs {
            brokers,
            topic_prefix: format!("t{suffix}."),
            partitions: 3,
            replication_factor: 1,
            schema_registry_url: registry.url.clone(),
        };
        runtime::kafka::ensure_topics(&kafka, &kafka.topics().all())
            .await
            .expect("topics created");
        let redis = RedisArgs {
            url: std::env::var(REDIS_URL_ENV).unwrap_or_else(|_| DEFAULT_REDIS_URL.into()),
            key_prefix: format!("t{suffix}:"),
        };
        Self {
            db,
            own_broker,
            registry,
            kafka,
            redis,
        }
    }
}
