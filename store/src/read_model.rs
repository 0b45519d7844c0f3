//! Postgres read models fed by projections: one event's change to a read model and the
//! stream's projected version, written in one transaction. An event at or below the recorded
//! version was applied already, so a redelivery changes nothing.

use async_trait::async_trait;
use sqlx::{Connection, PgPool};

use crate::event_store::{StoreError, TransactionalWrite, unavailable};

/// What applying one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projected {
    Applied,
    /// The read model already holds this version of the stream, or a later one.
    AlreadyApplied,
}

#[async_trait]
pub trait ReadModels: Send + Sync + 'static {
    /// Writes `change`, the effect of version `version` of `stream_id`, to `projection`'s
    /// read model, unless the read model is at that version or later.
    async fn apply(
        &self,
        projection: &str,
        stream_id: &str,
        version: i64,
        change: &dyn TransactionalWrite,
    ) -> Result<Projected, StoreError>;

    /// The latest version of `stream_id` that `projection` applied (0: none).
    async fn projected_version(&self, projection: &str, stream_id: &str)
    -> Result<i64, StoreError>;
}

#[derive(Debug, Clone)]
pub struct PgReadModels {
    pool: PgPool,
}

impl PgReadModels {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl ReadModels for PgReadModels {
    async fn apply(
        &self,
        projection: &str,
        stream_id: &str,
        version: i64,
        change: &dyn TransactionalWrite,
    ) -> Result<Projected, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        let mut tx = conn.begin().await.map_err(unavailable)?;
        // Moves the version forward, or returns nothing when it is there already; the row
        // lock it takes keeps a second copy of the same event waiting until this one ends.
        let advanced: Option<i64> = sqlx::query_scalar(
            "INSERT INTO projected_versions (projection, stream_id, version) \
             VALUES ($1, $2, $3) \
             ON CONFLICT (projection, stream_id) DO UPDATE \
             SET version = excluded.version, projected_at = now() \
             WHERE projected_versions.version < excluded.version \
             RETURNING version",
        )
        .bind(projection)
        .bind(stream_id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        if advanced.is_none() {
            return Ok(Projected::AlreadyApplied);
        }
        change.write(&mut tx).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Projected::Applied)
    }

    async fn projected_version(
        &self,
        projection: &str,
        stream_id: &str,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "SELECT version FROM projected_versions WHERE projection = $1 AND stream_id = $2",
        )
        .bind(projection)
        .bind(stream_id)
        .fetch_optional(&self.pool)
        .await
        .map(|v| v.unwrap_or(0))
        .map_err(unavailable)
    }
}

/// Deletes, in one transaction, the rows of one generation of a read model kept in generations
/// (`statements`, each taking the generation as `$1`) and the versions it recorded under
/// `versions_key`; returns the rows deleted.
pub async fn clear_generation(
    pool: &PgPool,
    statements: &[&'static str],
    generation: i32,
    versions_key: &str,
) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await.map_err(unavailable)?;
    let mut deleted = 0;
    for statement in statements {
        deleted += sqlx::query(*statement)
            .bind(generation)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?
            .rows_affected();
    }
    sqlx::query("DELETE FROM projected_versions WHERE projection = $1")
        .bind(versions_key)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
    tx.commit().await.map_err(unavailable)?;
    Ok(deleted)
}

/// Whether Postgres answers now.
pub async fn reachable(pool: &PgPool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// Under which name generation `generation` of `projection` records its projected versions:
/// the projection's name for generation 0, `<name>.g<n>` after (query-api's
/// `projected_version.sql` reads them by the same rule).
pub fn versions_key(projection: &str, generation: u32) -> String {
    match generation {
        0 => projection.to_owned(),
        n => format!("{projection}.g{n}"),
    }
}
