//! Pieces shared by every Avro wire type: the flattened envelope and conversions of ids and
//! timestamps. Wire types use plain strings and microsecond timestamps, as their schemas do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Actor, Envelope, EventError, EventMetadata};

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
