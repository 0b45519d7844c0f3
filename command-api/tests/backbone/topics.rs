//! The platform's topics as the broker holds them after `create-topics`.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use runtime::kafka::{DEAD_LETTER_RETENTION_MS, EVENT_RETENTION_MS};

use crate::support::Backbone;

#[tokio::test]
async fn topics_are_created_with_the_chosen_partitions_replication_and_retention() {
    let backbone = Backbone::start().await;
    let admin: AdminClient<DefaultClientContext> = backbone
        .kafka
        .client_config()
        .create()
        .expect("admin client");
    let topics = backbone.kafka.topics().all();

    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    for name in &topics {
        let topic = metadata
            .topics()
            .iter()
            .find(|t| t.name() == name)
            .unwrap_or_else(|| panic!("{name} exists"));
        assert_eq!(topic.partitions().len(), 3, "{name} partitions");
        assert!(
            topic.partitions().iter().all(|p| p.replicas().len() == 1),
            "{name} has one replica per partition on a one-node broker"
        );
    }

    let specifiers: Vec<ResourceSpecifier<'_>> =
        topics.iter().map(|t| ResourceSpecifier::Topic(t)).collect();
    let described = admin
        .describe_configs(&specifiers, &AdminOptions::new())
        .await
        .expect("describe configs");
    for (name, config) in topics.iter().zip(described) {
        let config = config.expect("topic config");
        let entries: HashMap<&str, Option<&str>> = config
            .entries
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_deref()))
            .collect();
        let retention = if name.ends_with(".dlq") {
            DEAD_LETTER_RETENTION_MS
        } else {
            EVENT_RETENTION_MS
        };
        assert_eq!(entries["retention.ms"], Some(retention), "{name} retention");
        assert_eq!(entries["min.insync.replicas"], Some("1"), "{name} min ISR");
    }
}
