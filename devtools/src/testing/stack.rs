//! The backing services of one test: a fresh database, a throwaway broker with the platform's
//! topics under a unique prefix, the dev schema registry, and a unique Redis key prefix.

use runtime::kafka::KafkaArgs;
use runtime::redis::RedisArgs;

use super::{TestBroker, TestDatabase, TestRegistry, unique_suffix};

const REDIS_URL_ENV: &str = "TEST_REDIS_URL";
/// Tests use their own Redis database, so flushing it leaves a local `./dev up` alone.
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/1";

#[derive(Debug)]
pub struct TestStack {
    pub db: TestDatabase,
    pub broker: TestBroker,
    pub registry: TestRegistry,
    pub kafka: KafkaArgs,
    pub redis: RedisArgs,
}

impl TestStack {
    pub async fn start() -> Self {
        runtime::telemetry::init_for_tests();
        let db = TestDatabase::create().await;
        let broker = TestBroker::start().await;
        let registry = TestRegistry::start().await;
        let suffix = unique_suffix();
        let kafka = KafkaArgs {
            brokers: broker.bootstrap(),
            topic_prefix: format!("t{suffix}."),
            partitions: 3,
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
            broker,
            registry,
            kafka,
            redis,
        }
    }
}
