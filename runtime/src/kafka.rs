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

    /// Replicas of each topic created by the platform: 1 on a one-node local broker, 3 in
    /// production (docs/KAFKA.md). With 3 or more, `min.insync.replicas` is one less.
    #[arg(
        long = "topic-replication-factor",
        env = "TOPIC_REPLICATION_FACTOR",
        default_value_t = 1
    )]
    pub replication_factor: i32,

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

/// Event topics keep every record: downstream teams replay them to audit what happened, and
/// personal data in them is encrypted per subject, so erasure does not need them deleted.
pub const EVENT_RETENTION_MS: &str = "-1";
/// Dead letters are kept 30 days: long enough to be seen and redriven (the parked streams
/// themselves are in Postgres), not forever.
pub const DEAD_LETTER_RETENTION_MS: &str = "2592000000";

/// Creates `topics` that do not exist yet, with the platform's partition count, replication,
/// `min.insync.replicas` and retention. Existing topics are left as they are.
pub async fn ensure_topics(args: &KafkaArgs, topics: &[String]) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> = args.client_config().create()?;
    let min_insync = min_insync_replicas(args.replication_factor).to_string();
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            let retention = if t.ends_with(events::topics::DEAD_LETTER_SUFFIX) {
                DEAD_LETTER_RETENTION_MS
            } else {
                EVENT_RETENTION_MS
            };
            NewTopic::new(
                t,
                args.partitions,
                TopicReplication::Fixed(args.replication_factor),
            )
            .set("min.insync.replicas", &min_insync)
            .set("retention.ms", retention)
        })
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

/// With acks=all, a write needs this many replicas: one less than the replication factor from
/// three up, so one broker can be down without stopping writes or losing an acknowledged one.
pub fn min_insync_replicas(replication_factor: i32) -> i32 {
    if replication_factor >= 3 {
        replication_factor - 1
    } else {
        1
    }
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

#[cfg(test)]
mod tests {
    use super::min_insync_replicas;

    #[test]
    fn writes_survive_one_replica_down_from_three_replicas_up() {
        assert_eq!(min_insync_replicas(1), 1);
        assert_eq!(min_insync_replicas(2), 1);
        assert_eq!(min_insync_replicas(3), 2);
        assert_eq!(min_insync_replicas(5), 4);
    }
}
