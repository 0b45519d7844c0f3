//! Streams a projection stopped applying: one of their events was dead-lettered, so the later
//! ones wait (counted) until an operator redrives the stream from the event store. Postgres
//! holds the truth, so a redrive by any process takes effect everywhere; each projector keeps
//! a copy of the set to spare the database a query per event.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

#[derive(Debug)]
pub struct Parking {
    pool: PgPool,
    projection: &'static str,
    parked: Mutex<HashSet<String>>,
}

/// One parked stream, as operators list it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ParkedStream {
    pub projection: String,
    pub stream_id: String,
    pub parked_version: Option<i64>,
    pub parked_at: DateTime<Utc>,
    pub error_class: String,
    pub held_events: i32,
    pub last_held_version: Option<i64>,
}

impl Parking {
    pub fn new(pool: PgPool, projection: &'static str) -> Self {
        Self {
            pool,
            projection,
            parked: Mutex::default(),
        }
    }

    /// Adds what Postgres holds to the set (at start and after each partition assignment).
    /// Only adds: a stream this process parks while the query runs must stay in the set, and
    /// one unparked meanwhile leaves it at its next event ([`Parking::hold`]).
    pub async fn reload(&self) -> Result<usize, sqlx::Error> {
        let streams: Vec<String> =
            sqlx::query_scalar("SELECT stream_id FROM parked_streams WHERE projection = $1")
                .bind(self.projection)
                .fetch_all(&self.pool)
                .await?;
        let count = streams.len();
        self.lock().extend(streams);
        Ok(count)
    }

    pub fn is_parked(&self, stream_id: &str) -> bool {
        self.lock().contains(stream_id)
    }

    /// Parks `stream_id` after its event at `version` was dead-lettered.
    pub async fn park(
        &self,
        stream_id: &str,
        version: Option<i64>,
        error_class: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO parked_streams (projection, stream_id, parked_version, error_class) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (projection, stream_id) DO NOTHING",
        )
        .bind(self.projection)
        .bind(stream_id)
        .bind(version)
        .bind(error_class)
        .execute(&self.pool)
        .await?;
        self.lock().insert(stream_id.to_owned());
        Ok(())
    }

    /// Holds back a later event of a parked stream. False if the stream is no longer parked
    /// (redriven meanwhile): the event must then be applied.
    pub async fn hold(&self, stream_id: &str, version: Option<i64>) -> Result<bool, sqlx::Error> {
        let held = sqlx::query(
            "UPDATE parked_streams SET held_events = held_events + 1, \
             last_held_version = GREATEST(last_held_version, $3) \
             WHERE projection = $1 AND stream_id = $2",
        )
        .bind(self.projection)
        .bind(stream_id)
        .bind(version)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0;
        if !held {
            self.lock().remove(stream_id);
        }
        Ok(held)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.parked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Every parked stream of every projection, oldest first.
pub async fn list(pool: &PgPool) -> Result<Vec<ParkedStream>, sqlx::Error> {
    sqlx::query_as(
        "SELECT projection, stream_id, parked_version, parked_at, error_class, held_events, \
         last_held_version FROM parked_streams ORDER BY parked_at, stream_id",
    )
    .fetch_all(pool)
    .await
}

/// One parked stream.
pub async fn find(
    pool: &PgPool,
    projection: &str,
    stream_id: &str,
) -> Result<Option<ParkedStream>, sqlx::Error> {
    sqlx::query_as(
        "SELECT projection, stream_id, parked_version, parked_at, error_class, held_events, \
         last_held_version FROM parked_streams WHERE projection = $1 AND stream_id = $2",
    )
    .bind(projection)
    .bind(stream_id)
    .fetch_optional(pool)
    .await
}

/// Unparks a stream redriven up to `applied_version`, unless an event past it was held
/// meanwhile (then the caller redrives again from there). True if unparked.
pub async fn unpark(
    pool: &PgPool,
    projection: &str,
    stream_id: &str,
    applied_version: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM parked_streams WHERE projection = $1 AND stream_id = $2 \
         AND COALESCE(last_held_version, 0) <= $3",
    )
    .bind(projection)
    .bind(stream_id)
    .bind(applied_version)
    .execute(pool)
    .await?
    .rows_affected()
        > 0)
}
