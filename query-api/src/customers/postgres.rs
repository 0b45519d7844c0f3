//! [`CustomerReads`] on the customer directory's tables, and [`StreamPages`] on the Postgres
//! event store, keyed by (stream_id, version).

use async_trait::async_trait;
use events::RawEvent;
use sqlx::Row;
use store::event_store::{StoreError, raw_event, unavailable};
use uuid::Uuid;

use super::account::{CustomerView, Preferences};
use super::{CustomerReads, StreamPages};
use crate::reach::{Projected, projected_in};

#[derive(Debug, Clone)]
pub struct PgCustomerDirectory {
    pool: sqlx::PgPool,
}

impl PgCustomerDirectory {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl CustomerReads for PgCustomerDirectory {
    async fn customer(&self, customer_id: Uuid) -> Result<Option<CustomerView>, StoreError> {
        let row = sqlx::query(include_str!("customer.sql"))
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|row| view(&row).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    async fn in_segment(
        &self,
        segment: &str,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError> {
        sqlx::query_scalar(include_str!("in_segment.sql"))
            .bind(segment)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)
    }
}

#[async_trait]
impl Projected for PgCustomerDirectory {
    async fn projected_version(&self, stream_id: &str) -> Result<i64, StoreError> {
        projected_in(&self.pool, store::customer_directory::PROJECTION, stream_id).await
    }
}

fn view(row: &sqlx::postgres::PgRow) -> Result<CustomerView, sqlx::Error> {
    let addresses: sqlx::types::Json<Vec<serde_json::Value>> = row.try_get("addresses")?;
    Ok(CustomerView {
        customer_id: row.try_get("customer_id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        phone: row.try_get("phone")?,
        birth_date: row.try_get("birth_date")?,
        addresses: addresses.0,
        preferences: Preferences {
            marketing_email: row.try_get("marketing_email")?,
            marketing_sms: row.try_get("marketing_sms")?,
            marketing_push: row.try_get("marketing_push")?,
            locale: row.try_get("locale")?,
        },
        segments: row.try_get("segments")?,
        signed_up_at: row.try_get("signed_up_at")?,
        updated_at: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

#[derive(Debug, Clone)]
pub struct PgStreamPages {
    pool: sqlx::PgPool,
}

impl PgStreamPages {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl StreamPages for PgStreamPages {
    async fn page(
        &self,
        stream_id: &str,
        after_version: i64,
        types: Option<&[&str]>,
        limit: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        let types: Option<Vec<String>> = types.map(|t| t.iter().map(|s| (*s).to_owned()).collect());
        let rows = sqlx::query(
            "SELECT event_id, stream_id, version, event_type, payload, metadata, recorded_at \
             FROM events WHERE stream_id = $1 AND version > $2 \
             AND ($3::text[] IS NULL OR event_type = ANY($3)) \
             ORDER BY version LIMIT $4",
        )
        .bind(stream_id)
        .bind(after_version)
        .bind(types)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter().map(raw_event).collect()
    }
}
