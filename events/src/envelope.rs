//! What every event carries besides its own data: identity, position in its stream, and the
//! context of the command that caused it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::EventError;

/// The kind of principal that can hold sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    User,
    Customer,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Customer => "customer",
        }
    }
}

impl fmt::Display for PrincipalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PrincipalType {
    type Err = EventError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Self::User),
            "customer" => Ok(Self::Customer),
            other => Err(EventError::invalid("principal_type", other)),
        }
    }
}

/// Who caused an event: a principal acting through the API, or a part of the platform itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Actor {
    User(Uuid),
    Customer(Uuid),
    /// A platform component acting on its own (e.g. `bootstrap`, `session-limit`).
    System(String),
}

impl Actor {
    pub fn principal(principal_type: PrincipalType, id: Uuid) -> Self {
        match principal_type {
            PrincipalType::User => Self::User(id),
            PrincipalType::Customer => Self::Customer(id),
        }
    }

    /// The actor as the pair of strings used on the wire and in the audit API.
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            Self::User(id) => ("user", id.to_string()),
            Self::Customer(id) => ("customer", id.to_string()),
            Self::System(name) => ("system", name.clone()),
        }
    }

    pub fn from_parts(kind: &str, id: &str) -> Result<Self, EventError> {
        let uuid = || Uuid::parse_str(id).map_err(|_| EventError::invalid("actor_id", id));
        match kind {
            "user" => Ok(Self::User(uuid()?)),
            "customer" => Ok(Self::Customer(uuid()?)),
            "system" => Ok(Self::System(id.to_owned())),
            other => Err(EventError::invalid("actor_type", other)),
        }
    }
}

/// Context of the command that caused an event. Stored with the event and carried to Kafka, so a
/// replay still knows where an event came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    pub actor: Option<Actor>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    /// W3C trace context of the request that issued the command.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

impl EventMetadata {
    pub fn new(actor: Option<Actor>) -> Self {
        Self {
            actor,
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            traceparent: None,
            tracestate: None,
        }
    }
}

/// Identity and position of one stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub event_id: Uuid,
    pub stream_id: String,
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub metadata: EventMetadata,
}

/// An event as the store keeps it: envelope, type name and JSON payload. The relay and the
/// projectors move these without knowing the concrete event family.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    pub envelope: Envelope,
    pub event_type: String,
    pub payload: serde_json::Value,
}

/// A typed event together with its envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded<E> {
    pub envelope: Envelope,
    pub event: E,
}
