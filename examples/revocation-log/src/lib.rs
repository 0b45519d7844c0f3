//! An example downstream consumer of the identity platform, written as another team would write
//! it: none of the platform's crates, only Kafka, the schema registry and the Avro schemas it
//! serves. It reads `identity.sessions.v1` and hands over each session revocation with its
//! reason, who revoked it and the trace id of the command that did, so an auditor can follow
//! the revocation into the traces.

use std::ops::ControlFlow;
use std::time::Duration;

use anyhow::Context;
use apache_avro::types::Value;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use schema_registry_converter::async_impl::avro::AvroDecoder;
use schema_registry_converter::async_impl::schema_registry::SrSettings;

/// Where to read from.
#[derive(Debug, Clone, clap::Args)]
pub struct Source {
    /// Kafka bootstrap servers.
    #[arg(long, env = "KAFKA_BROKERS", default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// The schema registry the platform registers its schemas in.
    #[arg(
        long,
        env = "SCHEMA_REGISTRY_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub registry: String,
    /// The sessions topic (with the deployment's prefix, if it has one).
    #[arg(long, default_value = "identity.sessions.v1")]
    pub topic: String,
    /// This consumer's group; a new group reads the topic from its first record.
    #[arg(long, default_value = "revocation-log")]
    pub group: String,
}

/// One session revocation, as the event says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The stream of the principal whose session ended (`sessions-<principal id>`).
    pub stream: String,
    pub session_id: String,
    /// `USER_LOGOUT`, `ADMIN_REVOKE`, `PASSWORD_CHANGED`, …
    pub reason: String,
    /// `user`, `customer` or `system`, and its id.
    pub actor: String,
    /// The trace id of the command that revoked it, from its W3C `traceparent`.
    pub trace_id: Option<String>,
    /// Microseconds since the epoch.
    pub revoked_at: i64,
}

impl std::fmt::Display for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "session {} of {} revoked: {} by {} (trace {})",
            self.session_id,
            self.stream,
            self.reason,
            self.actor,
            self.trace_id.as_deref().unwrap_or("-"),
        )
    }
}

/// Reads `source` from its group's position and hands `each` every revocation, until `each`
/// says to stop.
pub async fn watch(
    source: &Source,
    mut each: impl FnMut(Revocation) -> ControlFlow<()>,
) -> anyhow::Result<()> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &source.brokers)
        .set("group.id", &source.group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "true")
        .create()
        .context("creating the consumer")?;
    consumer.subscribe(&[&source.topic])?;
    let settings = SrSettings::new_builder(source.registry.clone())
        .set_timeout(Duration::from_secs(5))
        .build()?;
    let decoder = AvroDecoder::new(settings);
    loop {
        let message = consumer.recv().await?;
        // The header says what the record is: no need to decode the other session events.
        let revoked = message.headers().is_some_and(|headers| {
            headers
                .iter()
                .any(|h| h.key == "event_type" && h.value == Some(b"session.revoked.v1"))
        });
        if !revoked {
            continue;
        }
        let decoded = decoder
            .decode(message.payload())
            .await
            .map_err(|e| anyhow::anyhow!("decoding a revocation: {e}"))?;
        let revocation = revocation(&decoded.value)
            .with_context(|| format!("a revocation at offset {}", message.offset()))?;
        if each(revocation).is_break() {
            return Ok(());
        }
    }
}

/// The revocation a decoded `session.revoked.v1` record holds.
pub fn revocation(value: &Value) -> anyhow::Result<Revocation> {
    let envelope = field(value, "envelope")?;
    let text = |record: &Value, name: &str| -> anyhow::Result<String> {
        match field(record, name)? {
            Value::String(s) => Ok(s.clone()),
            Value::Uuid(u) => Ok(u.to_string()),
            other => anyhow::bail!("{name} is {other:?}, not text"),
        }
    };
    let traceparent = match field(envelope, "traceparent")? {
        Value::Union(_, inner) => match inner.as_ref() {
            Value::String(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let revoked_at = match field(value, "revoked_at")? {
        Value::TimestampMicros(t) | Value::Long(t) => *t,
        other => anyhow::bail!("revoked_at is {other:?}"),
    };
    Ok(Revocation {
        stream: text(envelope, "stream_id")?,
        session_id: text(value, "session_id")?,
        reason: text(value, "reason")?,
        actor: format!(
            "{} {}",
            text(value, "revoked_by_type")?,
            text(value, "revoked_by_id")?
        ),
        // traceparent: version-traceid-parentid-flags
        trace_id: traceparent.and_then(|t| t.split('-').nth(1).map(str::to_owned)),
        revoked_at,
    })
}

fn field<'v>(record: &'v Value, name: &str) -> anyhow::Result<&'v Value> {
    match record {
        Value::Record(fields) => fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .with_context(|| format!("no field {name}")),
        other => anyhow::bail!("not a record: {other:?}"),
    }
}
