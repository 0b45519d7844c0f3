//! The platform's events: envelopes, one family per aggregate, their Avro wire types, and the
//! codec that puts them on Kafka in the Confluent wire format. Pure: no database, no broker.

pub mod codec;
pub mod customers;
mod envelope;
mod family;
mod permissions;
pub mod roles;
pub mod sessions;
pub mod topics;
pub mod users;
pub mod wire;

pub use envelope::{Actor, Envelope, EventMetadata, PrincipalType, RawEvent, Recorded};
pub use family::{EventFamily, EventType, WireRecord};
pub use permissions::Permission;

/// The current time at the precision events keep (microseconds, as Postgres and the Avro
/// `timestamp-micros` fields do), so an event reads back exactly as it was decided.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Every event type of every family, for catalogs and schema checks.
pub fn all_event_types() -> impl Iterator<Item = (topics::Category, &'static EventType)> {
    fn of<F: EventFamily>() -> impl Iterator<Item = (topics::Category, &'static EventType)> {
        F::TYPES.iter().map(|t| (F::CATEGORY, t))
    }
    of::<sessions::SessionEvent>()
        .chain(of::<users::UserEvent>())
        .chain(of::<roles::RoleEvent>())
        .chain(of::<customers::CustomerEvent>())
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("unknown event type {0}")]
    UnknownType(String),
    #[error("invalid {field}: {value}")]
    Invalid { field: &'static str, value: String },
    #[error("event payload is not valid JSON for its type: {0}")]
    Json(#[source] serde_json::Error),
    #[error("Avro: {0}")]
    Avro(#[from] apache_avro::Error),
    #[error("schema registry: {0}")]
    Registry(String),
    /// The bytes are not an event this platform can read: not in the wire format, or a
    /// schema id the registry does not know.
    #[error("undecodable record: {0}")]
    Undecodable(String),
}

impl EventError {
    pub(crate) fn invalid(field: &'static str, value: impl std::fmt::Display) -> Self {
        Self::Invalid {
            field,
            value: value.to_string(),
        }
    }

    /// Whether retrying the same operation later can succeed (the registry was unreachable),
    /// as opposed to a defect in the event or schema itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Registry(_))
    }
}
