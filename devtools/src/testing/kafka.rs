//! Reads what is on a topic, every partition from the beginning, without joining a group.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// One record as the tests inspect it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub payload: Option<Vec<u8>>,
    pub headers: BTreeMap<String, String>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Reads `topic` from the start of every partition until `done(records so far)` holds, or
/// panics after `timeout`. Records come in partition order (per-key order is kept).
pub async fn read_topic(
    bootstrap: &str,
    topic: &str,
    timeout: Duration,
    done: impl Fn(&[Record]) -> bool + Send + 'static,
) -> Vec<Record> {
    let bootstrap = bootstrap.to_owned();
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || read_blocking(&bootstrap, &topic, timeout, done))
        .await
        .expect("topic reader thread")
}

fn read_blocking(
    bootstrap: &str,
    topic: &str,
    timeout: Duration,
    done: impl Fn(&[Record]) -> bool,
) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set(
            "group.id",
            format!("test-reader-{}", super::unique_suffix()),
        )
        .set("enable.auto.commit", "false")
        .set("broker.address.family", "v4")
        .create()
        .expect("Kafka consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("topic metadata");
    let mut assignment = TopicPartitionList::new();
    for p in metadata.topics().iter().flat_map(|t| t.partitions()) {
        assignment
            .add_partition_offset(topic, p.id(), Offset::Beginning)
            .expect("partition offset");
    }
    consumer.assign(&assignment).expect("assign partitions");

    let deadline = std::time::Instant::now() + timeout;
    let mut records = Vec::new();
    while !done(&records) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?} reading {topic}: {} records so far",
            records.len()
        );
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let Ok(message) = message else {
            continue;
        };
        let headers = runtime::kafka::header_map(&message);
        records.push(Record {
            partition: message.partition(),
            offset: message.offset(),
            key: message
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned()),
            payload: message.payload().map(<[u8]>::to_vec),
            headers,
        });
    }
    records
}

/// Asserts that, per stream, the first delivery of each version comes in version order with
/// no version missing. Redeliveries (at-least-once) are allowed anywhere after the first.
pub fn assert_per_stream_order(records: &[Record]) {
    let mut next: HashMap<&str, i64> = HashMap::new();
    for r in records {
        let stream = r.header("stream_id").expect("stream_id header");
        let version: i64 = r
            .header("stream_version")
            .and_then(|v| v.parse().ok())
            .expect("stream_version header");
        let expected = next.entry(stream).or_insert(1);
        if version == *expected {
            *expected += 1;
        } else {
            assert!(
                version < *expected,
                "stream {stream}: version {version} arrived before version {expected}"
            );
        }
    }
}
