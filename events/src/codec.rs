//! Avro in the Confluent wire format (magic byte, schema id, body) through a schema registry,
//! with the TopicRecordNameStrategy so several event types share one ordered topic.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use apache_avro::Schema;
use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;
use schema_registry_converter::async_impl::avro::{AvroDecoder, AvroEncoder};
use schema_registry_converter::async_impl::schema_registry::SrSettings;
use schema_registry_converter::avro_common::get_supplied_schema;
use schema_registry_converter::schema_registry_common::SubjectNameStrategy;

use crate::customers::CustomerEvent;
use crate::roles::RoleEvent;
use crate::sessions::SessionEvent;
use crate::topics::Category;
use crate::users::UserEvent;
use crate::{EventError, EventFamily, EventType, RawEvent, Recorded};

/// An event encoded for Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub schema_id: u32,
}

/// An event decoded from Kafka, with the Avro record name it was written as.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub record: String,
    pub value: Value,
}

/// Encoder and decoder sharing one registry; both cache schemas and ids after first use.
#[derive(Debug)]
pub struct AvroCodec {
    encoder: AvroEncoder,
    decoder: AvroDecoder,
    /// Parsed schemas by (topic, record), so an event's schema is parsed once, not per event.
    strategies: Mutex<HashMap<(String, &'static str), SubjectNameStrategy>>,
    /// Schema ids by topic and record, as the registry returned them.
    ids: Mutex<HashMap<String, HashMap<&'static str, u32>>>,
}

/// The datum writer of an event type's schema, made once per process: the catalog is fixed,
/// so the schemas and writers kept for the life of the process are bounded by it.
fn datum_writer(
    event_type: &'static EventType,
) -> Result<&'static GenericDatumWriter<'static>, EventError> {
    static WRITERS: LazyLock<Mutex<HashMap<&'static str, &'static GenericDatumWriter<'static>>>> =
        LazyLock::new(Mutex::default);
    let mut writers = WRITERS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(writer) = writers.get(event_type.record) {
        return Ok(writer);
    }
    let schema: &'static Schema = Box::leak(Box::new(Schema::parse_str(event_type.schema)?));
    let writer: &'static GenericDatumWriter<'static> =
        Box::leak(Box::new(GenericDatumWriter::builder(schema).build()?));
    writers.insert(event_type.record, writer);
    Ok(writer)
}

impl AvroCodec {
    pub fn new(registry_url: &str) -> Result<Self, EventError> {
        let settings = SrSettings::new_builder(registry_url.trim_end_matches('/').to_owned())
            .no_proxy()
            .set_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| EventError::Registry(e.to_string()))?;
        Ok(Self {
            encoder: AvroEncoder::new(settings.clone()),
            decoder: AvroDecoder::new(settings),
            strategies: Mutex::default(),
            ids: Mutex::default(),
        })
    }

    /// Encodes one value of `event_type` for `topic`, registering its schema under
    /// `<topic>-<record>` on first use.
    pub async fn encode(
        &self,
        topic: &str,
        event_type: &EventType,
        value: Value,
    ) -> Result<Encoded, EventError> {
        let strategy = self.strategy(topic, event_type)?;
        let bytes = self
            .encoder
            .encode_value(value, &strategy)
            .await
            .map_err(|e| {
                self.encoder.remove_errors_from_cache();
                EventError::Registry(e.to_string())
            })?;
        let schema_id = schema_id(&bytes)?;
        Ok(Encoded { bytes, schema_id })
    }

    fn strategy(
        &self,
        topic: &str,
        event_type: &EventType,
    ) -> Result<SubjectNameStrategy, EventError> {
        let mut strategies = self.strategies.lock().unwrap_or_else(|p| p.into_inner());
        let key = (topic.to_owned(), event_type.record);
        if let Some(strategy) = strategies.get(&key) {
            return Ok(strategy.clone());
        }
        let schema = Schema::parse_str(event_type.schema)?;
        let strategy = SubjectNameStrategy::TopicRecordNameStrategyWithSchema(
            topic.to_owned(),
            get_supplied_schema(&schema),
        );
        strategies.insert(key, strategy.clone());
        Ok(strategy)
    }

    /// Encodes a stored event, whatever its family. The first event of a type on a topic goes
    /// through the registry client (which registers its schema); later ones are written
    /// straight from their wire record under the schema id it returned.
    pub async fn encode_raw(&self, topic: &str, raw: &RawEvent) -> Result<Encoded, EventError> {
        let event = AnyEvent::from_raw(raw)?;
        let event_type = event.event_type();
        let Some(schema_id) = self.registered(topic, event_type.record) else {
            let (_, value) = event.to_avro()?;
            let encoded = self.encode(topic, event_type, value).await?;
            self.ids
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(topic.to_owned())
                .or_default()
                .insert(event_type.record, encoded.schema_id);
            return Ok(encoded);
        };
        let mut bytes = Vec::with_capacity(512);
        bytes.push(0);
        bytes.extend_from_slice(&schema_id.to_be_bytes());
        event.write_avro(datum_writer(event_type)?, &mut bytes)?;
        Ok(Encoded { bytes, schema_id })
    }

    /// The schema id `record` was registered with under `topic`, once this codec knows it.
    fn registered(&self, topic: &str, record: &str) -> Option<u32> {
        let ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        ids.get(topic)?.get(record).copied()
    }

    /// Decodes bytes in the Confluent wire format, fetching the writer schema by id.
    pub async fn decode(&self, bytes: &[u8]) -> Result<Decoded, EventError> {
        schema_id(bytes)?;
        let result = self.decoder.decode(Some(bytes)).await.map_err(|e| {
            self.decoder.remove_errors_from_cache();
            if e.retriable {
                EventError::Registry(e.to_string())
            } else {
                EventError::Undecodable(e.to_string())
            }
        })?;
        let record = result
            .name
            .map(|n| n.fullname(None))
            .ok_or_else(|| EventError::invalid("record", "unnamed Avro value"))?;
        Ok(Decoded {
            record,
            value: result.value,
        })
    }

    pub async fn decode_event(&self, bytes: &[u8]) -> Result<AnyEvent, EventError> {
        let decoded = self.decode(bytes).await?;
        AnyEvent::from_avro(&decoded.record, decoded.value)
    }
}

/// The schema id of a Confluent wire-format payload.
pub fn schema_id(bytes: &[u8]) -> Result<u32, EventError> {
    match bytes {
        [0, a, b, c, d, ..] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => Err(EventError::Undecodable(
            "not in the Confluent wire format".into(),
        )),
    }
}

/// An event of any family, for the parts of the platform that move every kind of event.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyEvent {
    Session(Recorded<SessionEvent>),
    User(Recorded<UserEvent>),
    Role(Recorded<RoleEvent>),
    Customer(Recorded<CustomerEvent>),
}

impl AnyEvent {
    pub fn from_raw(raw: &RawEvent) -> Result<Self, EventError> {
        match Category::of_stream(&raw.envelope.stream_id)? {
            Category::Sessions => SessionEvent::from_raw(raw).map(Self::Session),
            Category::Users => UserEvent::from_raw(raw).map(Self::User),
            Category::Roles => RoleEvent::from_raw(raw).map(Self::Role),
            Category::Customers => CustomerEvent::from_raw(raw).map(Self::Customer),
        }
    }

    pub fn from_avro(record: &str, value: Value) -> Result<Self, EventError> {
        fn owns<F: EventFamily>(record: &str) -> bool {
            F::TYPES.iter().any(|t| t.record == record)
        }
        let decoded = if owns::<SessionEvent>(record) {
            SessionEvent::from_avro(record, value)?.map(Self::Session)
        } else if owns::<UserEvent>(record) {
            UserEvent::from_avro(record, value)?.map(Self::User)
        } else if owns::<RoleEvent>(record) {
            RoleEvent::from_avro(record, value)?.map(Self::Role)
        } else if owns::<CustomerEvent>(record) {
            CustomerEvent::from_avro(record, value)?.map(Self::Customer)
        } else {
            None
        };
        decoded.ok_or_else(|| EventError::UnknownType(record.to_owned()))
    }

    pub fn to_avro(&self) -> Result<(&'static EventType, Value), EventError> {
        fn of<F: EventFamily>(r: &Recorded<F>) -> Result<(&'static EventType, Value), EventError> {
            Ok((r.event.event_type(), r.event.to_avro(&r.envelope)?))
        }
        match self {
            Self::Session(r) => of(r),
            Self::User(r) => of(r),
            Self::Role(r) => of(r),
            Self::Customer(r) => of(r),
        }
    }

    pub fn event_type(&self) -> &'static EventType {
        match self {
            Self::Session(r) => r.event.event_type(),
            Self::User(r) => r.event.event_type(),
            Self::Role(r) => r.event.event_type(),
            Self::Customer(r) => r.event.event_type(),
        }
    }

    /// Appends the Avro datum of [`AnyEvent::to_avro`] to `out`, written by `writer` (see
    /// [`EventFamily::write_avro`]).
    pub fn write_avro(
        &self,
        writer: &GenericDatumWriter<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EventError> {
        match self {
            Self::Session(r) => r.event.write_avro(&r.envelope, writer, out),
            Self::User(r) => r.event.write_avro(&r.envelope, writer, out),
            Self::Role(r) => r.event.write_avro(&r.envelope, writer, out),
            Self::Customer(r) => r.event.write_avro(&r.envelope, writer, out),
        }
    }

    pub fn envelope(&self) -> &crate::Envelope {
        match self {
            Self::Session(r) => &r.envelope,
            Self::User(r) => &r.envelope,
            Self::Role(r) => &r.envelope,
            Self::Customer(r) => &r.envelope,
        }
    }
}
