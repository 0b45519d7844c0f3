//! The dead-letter topic of a projection's source topic (`<topic>.dlq`): the original key and
//! bytes unchanged, and headers that say where the record came from and why it failed — never
//! its content, so no secret or personal data leaks into them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::ClientConfig;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use runtime::kafka::KafkaArgs;
use tokio::sync::OnceCell;

/// Header names of a dead-letter record.
pub mod headers {
    pub const ORIGIN_TOPIC: &str = "dlq.origin.topic";
    pub const ORIGIN_PARTITION: &str = "dlq.origin.partition";
    pub const ORIGIN_OFFSET: &str = "dlq.origin.offset";
    pub const ORIGIN_TIMESTAMP: &str = "dlq.origin.timestamp";
    pub const CONSUMER_GROUP: &str = "dlq.consumer.group";
    pub const PROJECTION: &str = "dlq.projection";
    pub const EVENT_ID: &str = "dlq.event.id";
    pub const STREAM_ID: &str = "dlq.stream.id";
    pub const STREAM_VERSION: &str = "dlq.stream.version";
    pub const ATTEMPTS: &str = "dlq.attempts";
    pub const FIRST_FAILURE: &str = "dlq.first.failure";
    pub const LAST_FAILURE: &str = "dlq.last.failure";
    pub const ERROR_CLASS: &str = "dlq.error.class";
    pub const ERROR_MESSAGE: &str = "dlq.error.message";
    pub const TRACEPARENT: &str = "traceparent";
}

/// Longest error message carried in a header.
const MAX_MESSAGE_CHARS: usize = 512;

/// What is known of a record that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub group: String,
    pub projection: &'static str,
    pub event_id: Option<String>,
    pub stream_id: Option<String>,
    pub version: Option<i64>,
    pub traceparent: Option<String>,
    pub attempts: u32,
    pub first_failure: DateTime<Utc>,
    pub last_failure: DateTime<Utc>,
    pub error_class: &'static str,
    pub error_message: String,
}

/// The headers of the dead-letter copy of `record`.
pub fn dead_letter_headers(
    record: &OwnedMessage,
    failure: &Failure,
) -> Vec<(&'static str, String)> {
    let mut h = vec![
        (headers::ORIGIN_TOPIC, record.topic().to_owned()),
        (headers::ORIGIN_PARTITION, record.partition().to_string()),
        (headers::ORIGIN_OFFSET, record.offset().to_string()),
        (headers::CONSUMER_GROUP, failure.group.clone()),
        (headers::PROJECTION, failure.projection.to_owned()),
        (headers::ATTEMPTS, failure.attempts.to_string()),
        (headers::FIRST_FAILURE, failure.first_failure.to_rfc3339()),
        (headers::LAST_FAILURE, failure.last_failure.to_rfc3339()),
        (headers::ERROR_CLASS, failure.error_class.to_owned()),
        (headers::ERROR_MESSAGE, safe_message(&failure.error_message)),
    ];
    if let Some(ms) = record.timestamp().to_millis() {
        h.push((headers::ORIGIN_TIMESTAMP, ms.to_string()));
    }
    let optional = [
        (headers::EVENT_ID, failure.event_id.clone()),
        (headers::STREAM_ID, failure.stream_id.clone()),
        (
            headers::STREAM_VERSION,
            failure.version.map(|v| v.to_string()),
        ),
        (headers::TRACEPARENT, failure.traceparent.clone()),
    ];
    h.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?))));
    h
}

/// Error messages describe what failed, never the record's content; still, keep them one
/// bounded line of printable text.
fn safe_message(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect()
}

/// The producer of an engine's dead letters, made when the first one is sent: an idle
/// producer is not free (rust-rdkafka's polling thread spins through the last millisecond of
/// each 100 ms wait, ~1% of a core per producer), and most engines never dead-letter.
#[derive(Clone)]
pub struct DeadLetters {
    config: ClientConfig,
    producer: Arc<OnceCell<FutureProducer>>,
}

impl std::fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeadLetters")
    }
}

impl DeadLetters {
    pub fn new(kafka: &KafkaArgs) -> Self {
        let mut config = kafka.client_config();
        config
            .set("enable.idempotence", "true")
            .set("message.timeout.ms", "30000");
        Self {
            config,
            producer: Arc::default(),
        }
    }

    /// Sends the dead-letter copy of `record` to `topic`; acknowledged when this returns Ok.
    pub async fn send(
        &self,
        topic: &str,
        record: &OwnedMessage,
        failure: &Failure,
    ) -> Result<(), rdkafka::error::KafkaError> {
        let mut hs = OwnedHeaders::new();
        for (key, value) in dead_letter_headers(record, failure) {
            hs = hs.insert(Header {
                key,
                value: Some(value.as_bytes()),
            });
        }
        let mut out = FutureRecord::<[u8], [u8]>::to(topic).headers(hs);
        if let Some(key) = record.key() {
            out = out.key(key);
        }
        if let Some(payload) = record.payload() {
            out = out.payload(payload);
        }
        let producer = self
            .producer
            .get_or_try_init(|| async { self.config.create::<FutureProducer>() })
            .await?;
        producer
            .send(out, Duration::from_secs(30))
            .await
            .map(drop)
            .map_err(|(e, _)| e)
    }
}

/// The value of header `name` of `record`, as text.
pub fn header(record: &OwnedMessage, name: &str) -> Option<String> {
    record.headers().and_then(|h| {
        h.iter()
            .find(|h| h.key == name)
            .and_then(|h| h.value)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_owned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::Timestamp;

    fn failure() -> Failure {
        let at = "2026-11-30T12:00:00Z".parse().expect("time");
        Failure {
            group: "g".into(),
            projection: "session-cache",
            event_id: Some("e1".into()),
            stream_id: Some("sessions-1".into()),
            version: Some(3),
            traceparent: None,
            attempts: 4,
            first_failure: at,
            last_failure: at,
            error_class: "permanent",
            error_message: "bad\nline\u{0}".into(),
        }
    }

    #[test]
    fn headers_name_the_origin_and_the_failure() {
        let record = OwnedMessage::new(
            Some(b"bytes".to_vec()),
            Some(b"sessions-1".to_vec()),
            "t.sessions".into(),
            Timestamp::CreateTime(1_700_000_000_000),
            2,
            41,
            None,
        );
        let h: std::collections::HashMap<_, _> = dead_letter_headers(&record, &failure())
            .into_iter()
            .collect();
        assert_eq!(h[headers::ORIGIN_TOPIC], "t.sessions");
        assert_eq!(h[headers::ORIGIN_PARTITION], "2");
        assert_eq!(h[headers::ORIGIN_OFFSET], "41");
        assert_eq!(h[headers::ORIGIN_TIMESTAMP], "1700000000000");
        assert_eq!(h[headers::STREAM_VERSION], "3");
        assert_eq!(h[headers::ATTEMPTS], "4");
        assert_eq!(h[headers::ERROR_MESSAGE], "bad line ");
        assert!(
            !h.contains_key(headers::TRACEPARENT),
            "absent values are left out"
        );
    }

    /// Threads of this process named as rust-rdkafka names a producer's polling thread.
    fn producer_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .expect("threads")
            .filter_map(Result::ok)
            .filter(|task| {
                std::fs::read_to_string(task.path().join("comm"))
                    .is_ok_and(|name| name.trim_end() == "producer pollin")
            })
            .count()
    }

    #[test]
    fn no_producer_runs_before_the_first_dead_letter() {
        let kafka = KafkaArgs {
            brokers: "127.0.0.1:9".into(),
            topic_prefix: String::new(),
            partitions: 1,
            replication_factor: 1,
            schema_registry_url: "http://127.0.0.1:9".into(),
        };
        let before = producer_threads();
        let dead_letters = DeadLetters::new(&kafka);
        // A thread names itself once it runs: time for one to show.
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            producer_threads(),
            before,
            "an engine that never dead-letters runs no producer"
        );
        let _producer: FutureProducer = dead_letters.config.create().expect("producer");
        // The thread names itself once it runs.
        let named = std::time::Instant::now();
        while producer_threads() == before && named.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            producer_threads(),
            before + 1,
            "a producer's polling thread is what the count above would have seen"
        );
    }

    #[test]
    fn long_messages_are_cut() {
        let mut f = failure();
        f.error_message = "x".repeat(5_000);
        assert_eq!(safe_message(&f.error_message).len(), MAX_MESSAGE_CHARS);
    }
}
