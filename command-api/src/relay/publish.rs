//! Puts stored events on Kafka: Avro in the Confluent wire format, key = stream id, headers with
//! the event's identity and the trace context of the command that caused it. Idempotent
//! producer; a batch counts as published only when every record is acknowledged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use events::codec::{AvroCodec, Encoded};
use events::topics::{Category, Topics};
use events::{EventError, RawEvent};
use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use runtime::kafka::KafkaArgs;

/// Kafka header names set on every event record.
pub mod headers {
    pub const EVENT_ID: &str = "event_id";
    pub const EVENT_TYPE: &str = "event_type";
    pub const SCHEMA_ID: &str = "schema_id";
    pub const STREAM_ID: &str = "stream_id";
    pub const STREAM_VERSION: &str = "stream_version";
    pub const TRACEPARENT: &str = "traceparent";
    pub const TRACESTATE: &str = "tracestate";
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("encoding {event_id}: {source}")]
    Encode {
        event_id: uuid::Uuid,
        #[source]
        source: EventError,
    },
    #[error("producing {event_id}: {source}")]
    Produce {
        event_id: uuid::Uuid,
        #[source]
        source: KafkaError,
    },
    #[error("producer dropped the delivery report of {0}")]
    Canceled(uuid::Uuid),
    #[error("creating a Kafka producer: {0}")]
    Producer(#[source] KafkaError),
}

impl PublishError {
    /// A defect in the event itself rather than a broker or registry outage.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Encode { source, .. } if !source.is_transient())
    }
}

pub struct Publisher {
    config: ClientConfig,
    producer: Mutex<FutureProducer>,
    codec: Arc<AvroCodec>,
    topics: Topics,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    pub fn new(kafka: &KafkaArgs, message_timeout: Duration) -> anyhow::Result<Self> {
        let mut config = kafka.client_config();
        config
            // Settings chosen for Apache Kafka, with why: docs/KAFKA.md.
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("max.in.flight.requests.per.connection", "1")
            .set("linger.ms", "2")
            .set("batch.num.messages", "10000")
            .set(
                "message.timeout.ms",
                message_timeout.as_millis().to_string(),
            );
        Ok(Self {
            producer: Mutex::new(config.create()?),
            config,
            codec: Arc::new(AvroCodec::new(&kafka.schema_registry_url)?),
            topics: kafka.topics(),
        })
    }

    pub fn topic_for(&self, event: &RawEvent) -> Result<String, EventError> {
        Ok(self
            .topics
            .events(Category::of_stream(&event.envelope.stream_id)?))
    }

    /// The producer to use now. An idempotent producer that hit a fatal error (e.g. the broker
    /// lost its sequence state) refuses every later record, so it is replaced by a fresh one;
    /// the relay republishes from its checkpoint anyway.
    fn producer(&self) -> Result<FutureProducer, PublishError> {
        let mut producer = self.producer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((code, reason)) = producer.client().fatal_error() {
            tracing::warn!(%code, %reason, "Kafka producer failed fatally; creating a new one");
            *producer = self.config.create().map_err(PublishError::Producer)?;
        }
        Ok(producer.clone())
    }

    /// Publishes `batch` in order and waits until Kafka acknowledged every record.
    pub async fn publish(&self, batch: &[&RawEvent]) -> Result<(), PublishError> {
        let encoded = self.encode(batch).await?;
        self.send(batch, &encoded).await
    }

    /// Each event of `batch` in Avro, with its topic: the work of a batch that does not need
    /// the broker, so it can be done while the batch before it is in flight.
    pub async fn encode(
        &self,
        batch: &[&RawEvent],
    ) -> Result<Vec<(String, Encoded)>, PublishError> {
        let mut encoded = Vec::with_capacity(batch.len());
        for event in batch {
            let event_id = event.envelope.event_id;
            let encode = |source| PublishError::Encode { event_id, source };
            let topic = self.topic_for(event).map_err(encode)?;
            let value = self.codec.encode_raw(&topic, event).await.map_err(encode)?;
            encoded.push((topic, value));
        }
        Ok(encoded)
    }

    /// Produces `batch`, encoded by [`Publisher::encode`], in order and waits until Kafka
    /// acknowledged every record.
    pub async fn send(
        &self,
        batch: &[&RawEvent],
        encoded: &[(String, Encoded)],
    ) -> Result<(), PublishError> {
        let producer = self.producer()?;
        let mut deliveries = Vec::with_capacity(batch.len());
        for (event, (topic, value)) in batch.iter().zip(encoded) {
            let record = FutureRecord::to(topic)
                .key(event.envelope.stream_id.as_bytes())
                .payload(&value.bytes)
                .headers(record_headers(event, value.schema_id));
            let delivery =
                producer
                    .send_result(record)
                    .map_err(|(source, _)| PublishError::Produce {
                        event_id: event.envelope.event_id,
                        source,
                    })?;
            deliveries.push((event.envelope.event_id, delivery));
        }

        let mut first_error = None;
        for (event_id, delivery) in deliveries {
            let outcome = match delivery.await {
                Ok(Ok(_)) => continue,
                Ok(Err((source, _))) => PublishError::Produce { event_id, source },
                Err(_) => PublishError::Canceled(event_id),
            };
            first_error.get_or_insert(outcome);
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn record_headers(event: &RawEvent, schema_id: u32) -> OwnedHeaders {
    let e = &event.envelope;
    let mut headers = OwnedHeaders::new()
        .insert(header(headers::EVENT_ID, &e.event_id.to_string()))
        .insert(header(headers::EVENT_TYPE, &event.event_type))
        .insert(header(headers::SCHEMA_ID, &schema_id.to_string()))
        .insert(header(headers::STREAM_ID, &e.stream_id))
        .insert(header(headers::STREAM_VERSION, &e.version.to_string()));
    if let Some(tp) = &e.metadata.traceparent {
        headers = headers.insert(header(headers::TRACEPARENT, tp));
    }
    if let Some(ts) = &e.metadata.tracestate {
        headers = headers.insert(header(headers::TRACESTATE, ts));
    }
    headers
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a [u8]> {
    Header {
        key,
        value: Some(value.as_bytes()),
    }
}
