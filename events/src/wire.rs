//! Pieces shared by every Avro wire type: the flattened envelope and conversions of ids and
//! timestamps. Wire types use plain strings and microsecond timestamps, as their schemas do.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Actor, Envelope, EventError, EventMetadata, Permission, PrincipalType};

/// The `envelope` field of every published record (`identity.EventEnvelope` in the schemas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEnvelope {
    pub event_id: String,
    pub stream_id: String,
    pub version: i64,
    pub recorded_at: i64,
    pub actor_type: Option<String>,
    pub actor_id: Option<String>,
    pub correlation_id: String,
    pub causation_id: Option<String>,
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

impl From<&Envelope> for WireEnvelope {
    fn from(e: &Envelope) -> Self {
        let (actor_type, actor_id) = match e.metadata.actor.as_ref().map(Actor::parts) {
            Some((kind, id)) => (Some(kind.to_owned()), Some(id)),
            None => (None, None),
        };
        Self {
            event_id: e.event_id.to_string(),
            stream_id: e.stream_id.clone(),
            version: e.version,
            recorded_at: micros(e.recorded_at),
            actor_type,
            actor_id,
            correlation_id: e.metadata.correlation_id.to_string(),
            causation_id: e.metadata.causation_id.map(|id| id.to_string()),
            traceparent: e.metadata.traceparent.clone(),
            tracestate: e.metadata.tracestate.clone(),
        }
    }
}

impl TryFrom<WireEnvelope> for Envelope {
    type Error = EventError;

    fn try_from(w: WireEnvelope) -> Result<Self, Self::Error> {
        let actor = match (w.actor_type, w.actor_id) {
            (Some(kind), Some(id)) => Some(Actor::from_parts(&kind, &id)?),
            (None, None) => None,
            _ => return Err(EventError::invalid("actor", "type without id")),
        };
        Ok(Self {
            event_id: uuid("event_id", &w.event_id)?,
            stream_id: w.stream_id,
            version: w.version,
            recorded_at: timestamp("recorded_at", w.recorded_at)?,
            metadata: EventMetadata {
                actor,
                correlation_id: uuid("correlation_id", &w.correlation_id)?,
                causation_id: w
                    .causation_id
                    .map(|id| uuid("causation_id", &id))
                    .transpose()?,
                traceparent: w.traceparent,
                tracestate: w.tracestate,
            },
        })
    }
}

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn timestamp(field: &'static str, micros: i64) -> Result<DateTime<Utc>, EventError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| EventError::invalid(field, micros))
}

pub fn uuid(field: &'static str, value: &str) -> Result<Uuid, EventError> {
    Uuid::parse_str(value).map_err(|_| EventError::invalid(field, value))
}

/// How a domain field travels in Avro: ids as strings, times as microseconds since the epoch,
/// closed sets by their names, the rest as it is. [`wire_record!`] builds a wire type from it.
pub trait WireField: Sized {
    type Wire;
    fn to_wire(&self) -> Self::Wire;
    /// `field` names the field in an error about its value.
    fn from_wire(field: &'static str, wire: Self::Wire) -> Result<Self, EventError>;
}

macro_rules! as_it_is {
    ($($t:ty),+) => {
        $(
            impl WireField for $t {
                type Wire = $t;
                fn to_wire(&self) -> $t {
                    self.clone()
                }
                fn from_wire(_: &'static str, wire: $t) -> Result<Self, EventError> {
                    Ok(wire)
                }
            }
        )+
    };
}

as_it_is!(String, Option<String>, bool, i32, i64, BTreeMap<String, String>);

impl WireField for Uuid {
    type Wire = String;
    fn to_wire(&self) -> String {
        self.to_string()
    }
    fn from_wire(field: &'static str, wire: String) -> Result<Self, EventError> {
        uuid(field, &wire)
    }
}

impl WireField for DateTime<Utc> {
    type Wire = i64;
    fn to_wire(&self) -> i64 {
        micros(*self)
    }
    fn from_wire(field: &'static str, wire: i64) -> Result<Self, EventError> {
        timestamp(field, wire)
    }
}

impl WireField for PrincipalType {
    type Wire = String;
    fn to_wire(&self) -> String {
        self.as_str().to_owned()
    }
    fn from_wire(_: &'static str, wire: String) -> Result<Self, EventError> {
        wire.parse()
    }
}

impl WireField for Permission {
    type Wire = String;
    fn to_wire(&self) -> String {
        self.as_str().to_owned()
    }
    fn from_wire(_: &'static str, wire: String) -> Result<Self, EventError> {
        wire.parse()
    }
}

impl WireField for Vec<Permission> {
    type Wire = Vec<String>;
    fn to_wire(&self) -> Vec<String> {
        self.iter().map(|p| p.as_str().to_owned()).collect()
    }
    fn from_wire(_: &'static str, wire: Vec<String>) -> Result<Self, EventError> {
        wire.iter().map(|p| p.parse()).collect()
    }
}

/// A wire type and its [`crate::WireRecord`] conversions from one declaration: the record's
/// name, the domain type, and each field with its domain type, in the schema's order.
macro_rules! wire_record {
    (
        $(#[$meta:meta])*
        $wire:ident for $domain:ident { $($field:ident: $ty:ty),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $wire {
            pub envelope: $crate::wire::WireEnvelope,
            $( pub $field: <$ty as $crate::wire::WireField>::Wire, )+
        }

        impl $crate::WireRecord for $wire {
            type Domain = $domain;

            fn from_domain(envelope: &$crate::Envelope, e: &$domain) -> Self {
                Self {
                    envelope: envelope.into(),
                    $( $field: $crate::wire::WireField::to_wire(&e.$field), )+
                }
            }

            fn into_domain(self) -> Result<($crate::Envelope, $domain), $crate::EventError> {
                Ok((
                    self.envelope.try_into()?,
                    $domain {
                        $( $field: <$ty as $crate::wire::WireField>::from_wire(
                            stringify!($field),
                            self.$field,
                        )?, )+
                    },
                ))
            }
        }
    };
}

pub(crate) use wire_record;
