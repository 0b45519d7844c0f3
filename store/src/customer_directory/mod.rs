//! The customer directory read model: each customer's profile, address book, preferences and
//! segments in Postgres, opened from its sealed events by the projector, as query-api answers
//! `GET /v1/customers/{id}` and lists a segment. The only place a customer's personal data
//! rests in the clear: erasure deletes its rows in the erasing transaction
//! ([`ErasedRows`]), and a change is written only while the customer's data key exists,
//! checked under a lock that the key's deletion waits for, so no lagging event puts them back.
//! Rows belong to a generation, rebuilt blue-green like the directory's.

mod postgres;

use events::Envelope;
use events::customers::Channel;
use sqlx::PgPool;
use uuid::Uuid;

use crate::event_store::StoreError;
use crate::read_model::{self, PgReadModels, Projected, ReadModels};

pub use postgres::ErasedRows;

/// The customer directory's name in `projection_generations`.
pub const PROJECTION: &str = "customers";

/// One event of a customer's stream with its personal fields opened: what it does to the rows.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerChange {
    SignedUp {
        email: Option<String>,
        name: Option<String>,
        phone: Option<String>,
    },
    Profile {
        name: Option<String>,
        phone: Option<String>,
        birth_date: Option<String>,
    },
    /// The customer's new login.
    Email(String),
    /// An event that changes no row (a password change): only the projected version moves.
    Untouched,
    /// An address added or changed; a default it takes is no other address's any more.
    AddressPut {
        address_id: Uuid,
        address: serde_json::Value,
        default_shipping: bool,
        default_billing: bool,
    },
    AddressRemoved {
        address_id: Uuid,
    },
    Consent {
        channel: Channel,
        granted: bool,
    },
    Locale(Option<String>),
    SegmentAdded(String),
    SegmentRemoved(String),
    /// The customer is erased: its rows go.
    Erased,
}

/// One generation of the customer directory, written by the projector.
#[derive(Debug, Clone)]
pub struct CustomerDirectory {
    pool: PgPool,
    models: PgReadModels,
    generation: u32,
}

impl CustomerDirectory {
    pub fn new(pool: PgPool, generation: u32) -> Self {
        Self {
            models: PgReadModels::new(pool.clone()),
            pool,
            generation,
        }
    }

    /// Applies `change`, the effect of the event `envelope` describes on `customer_id`'s rows,
    /// unless this generation holds it already. Whatever the change, a customer whose data key
    /// is gone has no rows afterwards.
    pub async fn apply(
        &self,
        customer_id: Uuid,
        envelope: &Envelope,
        change: &CustomerChange,
    ) -> Result<Projected, StoreError> {
        let write = postgres::Change {
            generation: self.row_generation(),
            customer_id,
            version: envelope.version,
            at: envelope.recorded_at,
            change,
        };
        self.models
            .apply(
                &read_model::versions_key(PROJECTION, self.generation),
                &envelope.stream_id,
                envelope.version,
                &write,
            )
            .await
    }

    /// Deletes every row and projected version of this generation (before a rebuild fills
    /// it, and once a switch left it behind); returns the rows deleted.
    pub async fn clear(&self) -> Result<u64, StoreError> {
        read_model::clear_generation(
            &self.pool,
            &postgres::CLEAR,
            self.row_generation(),
            &read_model::versions_key(PROJECTION, self.generation),
        )
        .await
    }

    /// Whether Postgres answers now.
    pub async fn reachable(&self) -> bool {
        read_model::reachable(&self.pool).await
    }

    fn row_generation(&self) -> i32 {
        i32::try_from(self.generation).unwrap_or(i32::MAX)
    }
}
