//! The event store's statements, shared by [`super::PgEventStore`] and its unit of work: each
//! runs on whatever connection or pool it is given.

use chrono::{DateTime, Utc};
use events::{Envelope, EventMetadata, RawEvent};
use sqlx::postgres::{PgConnection, PgDatabaseError, PgExecutor, PgRow};
use sqlx::{Connection, Row};

use super::{Appended, NewEvent, StoreError, Transaction};

const UNIQUE_VIOLATION: &str = "23505";
const STREAM_VERSION_CONSTRAINT: &str = "events_stream_version";

/// Commits every append and write of `transaction` on `conn`, all or none.
pub(super) async fn commit(
    conn: &mut PgConnection,
    transaction: Transaction,
) -> Result<Vec<Appended>, StoreError> {
    let mut tx = conn.begin().await.map_err(unavailable)?;
    let mut appended = Vec::with_capacity(transaction.appends.len());
    // Event inserts come first: the transaction's xid is taken at its first write.
    for append in transaction.appends {
        appended.push(
            insert(
                &mut *tx,
                &append.stream_id,
                append.expected_version,
                append.events,
            )
            .await?,
        );
    }
    for write in &transaction.writes {
        write.write(&mut tx).await?;
    }
    tx.commit().await.map_err(unavailable)?;
    Ok(appended)
}

/// The stream's latest snapshot in `format` and the events after it, in one round trip.
pub(super) async fn read_from_snapshot<'e>(
    executor: impl PgExecutor<'e>,
    stream_id: &str,
    format: i32,
) -> Result<(Option<(i64, String)>, Vec<RawEvent>), StoreError> {
    let rows = sqlx::query(include_str!("read_from_snapshot.sql"))
        .bind(stream_id)
        .bind(format)
        .fetch_all(executor)
        .await
        .map_err(unavailable)?;
    let corrupt = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    let mut snapshot = None;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let state: Option<String> = row.try_get("snapshot").map_err(corrupt)?;
        match state {
            Some(state) => snapshot = Some((row.try_get("version").map_err(corrupt)?, state)),
            None => events.push(raw_event(row)?),
        }
    }
    Ok((snapshot, events))
}

/// Inserts `events` as the next versions of `stream_id` if it is at `expected_version`.
pub(super) async fn insert<'e>(
    executor: impl PgExecutor<'e>,
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
        .fetch_all(executor)
        .await
        .map_err(|e| classify(e, stream_id, expected_version))?;
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

/// Reads an `events` row (columns as in [`super::PgEventStore`]'s reads).
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

/// A database failure: nothing was written.
pub fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

/// The unique constraint `e` violated, if that is why it failed.
pub fn violated_constraint(e: &sqlx::Error) -> Option<&str> {
    e.as_database_error()
        .and_then(|db| db.try_downcast_ref::<PgDatabaseError>())
        .filter(|pg| pg.code() == UNIQUE_VIOLATION)
        .and_then(|pg| pg.constraint())
}

/// A unique violation on a stream's version is a conflict; anything else means the database
/// failed.
fn classify(e: sqlx::Error, stream_id: &str, expected: i64) -> StoreError {
    if violated_constraint(&e) == Some(STREAM_VERSION_CONSTRAINT) {
        return StoreError::Conflict {
            stream_id: stream_id.to_owned(),
            expected,
        };
    }
    unavailable(e)
}
