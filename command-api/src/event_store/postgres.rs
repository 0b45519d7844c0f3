//! [`EventStore`] on Postgres: one `events` table, a unique `(stream_id, version)` for
//! optimistic concurrency, and the writing transaction's id for the relay's commit order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::{Envelope, EventMetadata, RawEvent};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Row, postgres::PgDatabaseError};

use super::{Appended, EventStore, NewEvent, StoreError};

const UNIQUE_VIOLATION: &str = "23505";
const STREAM_VERSION_CONSTRAINT: &str = "events_stream_version";

#[derive(Debug, Clone)]
pub struct PgEventStore {
    pool: PgPool,
}

impl PgEventStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(
        &self,
        stream_id: &str,
        expected_version: i64,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend);
        }
        let metadata = events
            .iter()
            .map(|e| serde_json::to_value(&e.metadata))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;

        // One statement, so one implicit transaction and one round trip: all rows or none. Its
        // insert is the transaction's only write, so the xid that orders it for the relay is
        // taken after the stream was read and decided on.
        let rows = sqlx::query(include_str!("append.sql"))
            .bind(stream_id)
            .bind(expected_version)
            .bind(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
            .bind(
                events
                    .iter()
                    .map(|e| e.event_type.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(events.iter().map(|e| e.payload.clone()).collect::<Vec<_>>())
            .bind(&metadata)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| conflict_or_unavailable(e, stream_id, expected_version))?;
        if rows.len() != events.len() {
            return Err(StoreError::Conflict {
                stream_id: stream_id.to_owned(),
                expected: expected_version,
            });
        }

        let written = rows
            .iter()
            .zip(events)
            .map(|(row, event)| {
                Ok(RawEvent {
                    envelope: Envelope {
                        event_id: event.event_id,
                        stream_id: stream_id.to_owned(),
                        version: row.try_get("version")?,
                        recorded_at: row.try_get("recorded_at")?,
                        metadata: event.metadata,
                    },
                    event_type: event.event_type,
                    payload: event.payload,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Appended {
            version: expected_version + written.len() as i64,
            events: written,
        })
    }

    async fn read_stream(
        &self,
        stream_id: &str,
        from_version: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        sqlx::query(
            "SELECT event_id, stream_id, version, event_type, payload, metadata, recorded_at \
             FROM events WHERE stream_id = $1 AND version >= $2 ORDER BY version",
        )
        .bind(stream_id)
        .bind(from_version)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?
        .iter()
        .map(raw_event)
        .collect()
    }
}

/// Reads an `events` row (columns as in [`PgEventStore::read_stream`]).
pub fn raw_event(row: &PgRow) -> Result<RawEvent, StoreError> {
    let corrupt = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    let metadata: serde_json::Value = row.try_get("metadata").map_err(corrupt)?;
    let metadata: EventMetadata =
        serde_json::from_value(metadata).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let recorded_at: DateTime<Utc> = row.try_get("recorded_at").map_err(corrupt)?;
    Ok(RawEvent {
        envelope: Envelope {
            event_id: row.try_get("event_id").map_err(corrupt)?,
            stream_id: row.try_get("stream_id").map_err(corrupt)?,
            version: row.try_get("version").map_err(corrupt)?,
            recorded_at,
            metadata,
        },
        event_type: row.try_get("event_type").map_err(corrupt)?,
        payload: row.try_get("payload").map_err(corrupt)?,
    })
}

fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

fn conflict_or_unavailable(e: sqlx::Error, stream_id: &str, expected: i64) -> StoreError {
    let is_conflict = e
        .as_database_error()
        .and_then(|db| db.try_downcast_ref::<PgDatabaseError>())
        .is_some_and(|pg| {
            pg.code() == UNIQUE_VIOLATION && pg.constraint() == Some(STREAM_VERSION_CONSTRAINT)
        });
    if is_conflict {
        StoreError::Conflict {
            stream_id: stream_id.to_owned(),
            expected,
        }
    } else {
        unavailable(e)
    }
}
