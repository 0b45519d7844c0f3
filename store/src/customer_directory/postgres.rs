//! The customer directory's SQL: one event's change to one customer's rows of one generation,
//! and the erasure's deletion of every generation's rows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::CustomerChange;
use crate::event_store::{StoreError, TransactionalWrite, unavailable};

pub struct Change<'a> {
    pub generation: i32,
    pub customer_id: Uuid,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub change: &'a CustomerChange,
}

#[async_trait]
impl TransactionalWrite for Change<'_> {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        // The erasure deletes the key, then the rows, in one transaction: holding the key's row
        // until this commits means either the erasure sees these rows (and deletes them) or
        // this sees no key (and writes none).
        let keyed: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM subject_keys WHERE subject_id = $1 FOR SHARE")
                .bind(self.customer_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(unavailable)?;
        if keyed.is_none() || matches!(self.change, CustomerChange::Erased) {
            return delete_rows(conn, Some(self.generation), self.customer_id).await;
        }
        self.write_change(conn).await?;
        sqlx::query(
            "UPDATE customer_profiles SET version = $3, updated_at = $4 \
             WHERE generation = $1 AND customer_id = $2",
        )
        .bind(self.generation)
        .bind(self.customer_id)
        .bind(self.version)
        .bind(self.at)
        .execute(conn)
        .await
        .map(drop)
        .map_err(unavailable)
    }
}

impl Change<'_> {
    async fn write_change(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let (generation, customer_id) = (self.generation, self.customer_id);
        let query = match self.change {
            CustomerChange::SignedUp { email, name, phone } => sqlx::query(
                "INSERT INTO customer_profiles \
                 (generation, customer_id, email, name, phone, signed_up_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, 0) \
                 ON CONFLICT (generation, customer_id) DO UPDATE \
                 SET email = excluded.email, name = excluded.name, phone = excluded.phone",
            )
            .bind(generation)
            .bind(customer_id)
            .bind(email)
            .bind(name)
            .bind(phone)
            .bind(self.at),
            CustomerChange::Profile {
                name,
                phone,
                birth_date,
            } => sqlx::query(
                "UPDATE customer_profiles SET name = $3, phone = $4, birth_date = $5 \
                 WHERE generation = $1 AND customer_id = $2",
            )
            .bind(generation)
            .bind(customer_id)
            .bind(name)
            .bind(phone)
            .bind(birth_date),
            CustomerChange::Email(email) => sqlx::query(
                "UPDATE customer_profiles SET email = $3 WHERE generation = $1 AND customer_id = $2",
            )
            .bind(generation)
            .bind(customer_id)
            .bind(email),
            CustomerChange::AddressPut {
                address_id,
                address,
                default_shipping,
                default_billing,
            } => {
                sqlx::query(
                    "UPDATE customer_addresses SET \
                     default_shipping = default_shipping AND NOT $4, \
                     default_billing = default_billing AND NOT $5 \
                     WHERE generation = $1 AND customer_id = $2 AND address_id <> $3",
                )
                .bind(generation)
                .bind(customer_id)
                .bind(address_id)
                .bind(default_shipping)
                .bind(default_billing)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
                sqlx::query(
                    "INSERT INTO customer_addresses (generation, customer_id, address_id, \
                     address, default_shipping, default_billing) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (generation, customer_id, address_id) DO UPDATE \
                     SET address = excluded.address, \
                     default_shipping = excluded.default_shipping, \
                     default_billing = excluded.default_billing",
                )
                .bind(generation)
                .bind(customer_id)
                .bind(address_id)
                .bind(address)
                .bind(default_shipping)
                .bind(default_billing)
            }
            CustomerChange::AddressRemoved { address_id } => sqlx::query(
                "DELETE FROM customer_addresses \
                 WHERE generation = $1 AND customer_id = $2 AND address_id = $3",
            )
            .bind(generation)
            .bind(customer_id)
            .bind(address_id),
            CustomerChange::Consent { channel, granted } => sqlx::query(CONSENT[*channel as usize])
                .bind(generation)
                .bind(customer_id)
                .bind(granted),
            CustomerChange::Locale(locale) => sqlx::query(
                "UPDATE customer_profiles SET locale = $3 \
                 WHERE generation = $1 AND customer_id = $2",
            )
            .bind(generation)
            .bind(customer_id)
            .bind(locale),
            CustomerChange::SegmentAdded(segment) => sqlx::query(
                "INSERT INTO customer_segments (generation, segment, customer_id, added_at) \
                 VALUES ($1, $3, $2, $4) ON CONFLICT DO NOTHING",
            )
            .bind(generation)
            .bind(customer_id)
            .bind(segment)
            .bind(self.at),
            CustomerChange::SegmentRemoved(segment) => sqlx::query(
                "DELETE FROM customer_segments \
                 WHERE generation = $1 AND customer_id = $2 AND segment = $3",
            )
            .bind(generation)
            .bind(customer_id)
            .bind(segment),
            CustomerChange::Untouched | CustomerChange::Erased => return Ok(()),
        };
        query.execute(conn).await.map(drop).map_err(unavailable)
    }
}

/// One statement per channel, in [`events::customers::Channel`] order.
const CONSENT: [&str; 3] = [
    "UPDATE customer_profiles SET marketing_email = $3 WHERE generation = $1 AND customer_id = $2",
    "UPDATE customer_profiles SET marketing_sms = $3 WHERE generation = $1 AND customer_id = $2",
    "UPDATE customer_profiles SET marketing_push = $3 WHERE generation = $1 AND customer_id = $2",
];

/// The rows of the customer, in `generation` or in every generation.
async fn delete_rows(
    conn: &mut PgConnection,
    generation: Option<i32>,
    customer_id: Uuid,
) -> Result<(), StoreError> {
    for statement in [
        "DELETE FROM customer_segments \
         WHERE customer_id = $1 AND ($2::int IS NULL OR generation = $2)",
        "DELETE FROM customer_addresses \
         WHERE customer_id = $1 AND ($2::int IS NULL OR generation = $2)",
        "DELETE FROM customer_profiles \
         WHERE customer_id = $1 AND ($2::int IS NULL OR generation = $2)",
    ] {
        sqlx::query(statement)
            .bind(customer_id)
            .bind(generation)
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}

/// The erasure's deletion of the customer's rows in every generation: commit it with the
/// deletion of its data key.
#[derive(Debug, Clone, Copy)]
pub struct ErasedRows(pub Uuid);

#[async_trait]
impl TransactionalWrite for ErasedRows {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        delete_rows(conn, None, self.0).await
    }
}

/// What deletes the rows of one generation (`$1`).
pub const CLEAR: [&str; 3] = [
    "DELETE FROM customer_segments WHERE generation = $1",
    "DELETE FROM customer_addresses WHERE generation = $1",
    "DELETE FROM customer_profiles WHERE generation = $1",
];
