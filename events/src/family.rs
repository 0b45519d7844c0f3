//! An event family is the closed set of events of one aggregate. The [`event_family!`] macro
//! declares one from a table of variants, type names, Avro wire types and schema files, so adding
//! an aggregate's events is a table, not code.

use apache_avro::types::Value;
use apache_avro::writer::datum::GenericDatumWriter;

use crate::topics::Category;
use crate::{Envelope, EventError, RawEvent, Recorded};

/// One event type: its stable name, and the Avro record that carries it on Kafka.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    /// Stable dotted name stored with the event, e.g. `session.started.v1`. Never renamed.
    pub name: &'static str,
    /// Full name of the Avro record, e.g. `identity.sessions.SessionStartedV1`.
    pub record: &'static str,
    /// The `.avsc` text, from `schemas/`.
    pub schema: &'static str,
}

/// An Avro wire type paired with its domain event.
pub trait WireRecord: serde::Serialize + serde::de::DeserializeOwned {
    type Domain;

    fn from_domain(envelope: &Envelope, event: &Self::Domain) -> Self;
    fn into_domain(self) -> Result<(Envelope, Self::Domain), EventError>;
}

/// The events of one aggregate.
pub trait EventFamily: Sized {
    const CATEGORY: Category;
    const TYPES: &'static [EventType];

    fn event_type(&self) -> &'static EventType;

    /// The JSON payload stored in the event store.
    fn to_payload(&self) -> Result<serde_json::Value, EventError>;
    fn from_payload(event_type: &str, payload: &serde_json::Value) -> Result<Self, EventError>;

    /// The Avro value published to Kafka, envelope included.
    fn to_avro(&self, envelope: &Envelope) -> Result<Value, EventError>;
    /// Appends the Avro datum of [`EventFamily::to_avro`] to `out` with `writer` (made from
    /// this event's schema), serialized straight from the wire record without building the
    /// `Value`: the same bytes for a fraction of the allocations.
    fn write_avro(
        &self,
        envelope: &Envelope,
        writer: &GenericDatumWriter<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), EventError>;
    /// Decodes an Avro record of this family; `Ok(None)` if the record belongs to another one.
    fn from_avro(record: &str, value: Value) -> Result<Option<Recorded<Self>>, EventError>;

    fn from_raw(raw: &RawEvent) -> Result<Recorded<Self>, EventError> {
        Ok(Recorded {
            envelope: raw.envelope.clone(),
            event: Self::from_payload(&raw.event_type, &raw.payload)?,
        })
    }
}

/// Declares an event family enum and its [`EventFamily`] implementation.
///
/// ```text
/// event_family! {
///     /// Docs.
///     pub enum SessionEvent in Category::Sessions {
///         Started(SessionStarted) = "session.started.v1",
///             wire SessionStartedV1, record "identity.sessions.SessionStartedV1",
///             schema "sessions/session.started.v1.avsc";
///     }
/// }
/// ```
#[macro_export]
macro_rules! event_family {
    (
        $(#[$meta:meta])*
        pub enum $family:ident in $category:path {
            $(
                $(#[$vmeta:meta])*
                $variant:ident($data:ty) = $name:literal,
                    wire $wire:ty, record $record:literal, schema $schema:literal;
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $family {
            $( $(#[$vmeta])* $variant($data), )+
        }

        impl $crate::EventFamily for $family {
            const CATEGORY: $crate::topics::Category = $category;
            const TYPES: &'static [$crate::EventType] = &[
                $( $crate::EventType {
                    name: $name,
                    record: $record,
                    schema: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/", $schema)),
                }, )+
            ];

            fn event_type(&self) -> &'static $crate::EventType {
                match self {
                    $( Self::$variant(_) => &$crate::EventType {
                        name: $name,
                        record: $record,
                        schema: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/", $schema)),
                    }, )+
                }
            }

            fn to_payload(&self) -> Result<serde_json::Value, $crate::EventError> {
                match self {
                    $( Self::$variant(data) => serde_json::to_value(data), )+
                }
                .map_err($crate::EventError::Json)
            }

            fn from_payload(
                event_type: &str,
                payload: &serde_json::Value,
            ) -> Result<Self, $crate::EventError> {
                match event_type {
                    $( $name => <$data as serde::Deserialize>::deserialize(payload)
                        .map(Self::$variant)
                        .map_err($crate::EventError::Json), )+
                    other => Err($crate::EventError::UnknownType(other.to_owned())),
                }
            }

            fn to_avro(
                &self,
                envelope: &$crate::Envelope,
            ) -> Result<apache_avro::types::Value, $crate::EventError> {
                match self {
                    $( Self::$variant(data) => apache_avro::to_value(
                        <$wire as $crate::WireRecord>::from_domain(envelope, data),
                    ), )+
                }
                .map_err($crate::EventError::Avro)
            }

            fn write_avro(
                &self,
                envelope: &$crate::Envelope,
                writer: &apache_avro::writer::datum::GenericDatumWriter<'_>,
                out: &mut Vec<u8>,
            ) -> Result<(), $crate::EventError> {
                match self {
                    $( Self::$variant(data) => writer.write_ser(
                        out,
                        &<$wire as $crate::WireRecord>::from_domain(envelope, data),
                    ), )+
                }
                .map(drop)
                .map_err($crate::EventError::Avro)
            }

            fn from_avro(
                record: &str,
                value: apache_avro::types::Value,
            ) -> Result<Option<$crate::Recorded<Self>>, $crate::EventError> {
                match record {
                    $( $record => {
                        let wire: $wire = apache_avro::from_value(&value)
                            .map_err($crate::EventError::Avro)?;
                        let (envelope, data) = $crate::WireRecord::into_domain(wire)?;
                        Ok(Some($crate::Recorded { envelope, event: Self::$variant(data) }))
                    } )+
                    _ => Ok(None),
                }
            }
        }
    };
}
