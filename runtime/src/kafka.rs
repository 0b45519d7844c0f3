//! Kafka connection settings shared by the relay and the projectors, and topic provisioning.

use std::time::Duration;

use std::collections::BTreeMap;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Headers, Message};
use rdkafka::types::RDKafkaErrorCode;

#[derive(Debug, Clone, clap::Args)]
pub struct KafkaArgs {
    /// Kafka bootstrap servers.
    #[arg(
        long = "kafka-brokers",
        env = "KAFKA_BROKERS",
        default_value = "127.0.0.1:9092"
    )]
    pub brokers: String,

    /// Prefix of every topic name, so several deployments (or tests) can share a broker.
    #[arg(long = "topic-prefix", env = "TOPIC_PREFIX", default_value = "")]
    pub topic_prefix: String,

    /// Partitions of each topic created by the platform.
    #[arg(
        long = "topic-partitions",
        env = "TOPIC_PARTITIONS",
        default_value_t = 3
    )]
    pub partitions: i32,

    /// Confluent-compatible schema registry.
    #[arg(
        long = "schema-registry-url",
        env = "SCHEMA_REGISTRY_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub schema_registry_url: String,
}

impl KafkaArgs {
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("broker.address.family", "v4");
        config
    }

    pub fn topics(&self) -> events::topics::Topics {
        events::topics::Topics::new(self.topic_prefix.clone())
    }
}

/// Creates `topics` that do not exist yet.
pub async fn ensure_topics(args: &KafkaArgs, topics: &[String]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = args.client_config().create()?;
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| NewTopic::new(t, args.partitions, TopicReplication::Fixed(1)))
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(&new, &options).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => anyhow::bail!("creating topic {topic}: {code}"),
        }
    }
    Ok(())
}

/// A record's headers as text (values that are not UTF-8 are shown lossily).
pub fn header_map(message: &impl Message) -> BTreeMap<String, String> {
    message
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| {
                    let value = h.value.map(String::from_utf8_lossy).unwrap_or_default();
                    (h.key.to_owned(), value.into_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}
