//! Postgres storage of schemas, subject versions and compatibility levels (tables in
//! `devtools/migrations/`). A schema is identified by the SHA-256 of its normalized form, so
//! one schema keeps one global id across subjects and restarts.

use serde::Serialize;
use sqlx::postgres::{PgExecutor, PgPool};

use super::compat::Level;
use super::error::RegistryError;
use super::wire::{Candidate, VersionRef};

/// One version of a subject, in the shape Confluent answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub id: i32,
    pub schema: String,
}

/// The registry's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: PgPool,
}

/// A query for [`SubjectVersion`]s, completed by a `WHERE` clause. A macro, not a `format!`, so
/// the SQL stays a `&'static str` as sqlx requires of text it did not see audited.
macro_rules! select_version {
    ($filter:literal) => {
        concat!(
            "SELECT sv.subject, sv.version, sv.schema_id AS id, s.schema_text AS schema \
             FROM subject_versions sv JOIN schemas s ON s.id = sv.schema_id ",
            $filter
        )
    };
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub async fn schema_by_id(&self, id: i32) -> Result<Option<String>, RegistryError> {
        Ok(
            sqlx::query_scalar("SELECT schema_text FROM schemas WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn subjects(&self) -> Result<Vec<String>, RegistryError> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT subject FROM subject_versions ORDER BY subject")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The version numbers of `subject`, ascending; empty when the subject is unknown.
    pub async fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        Ok(sqlx::query_scalar(
            "SELECT version FROM subject_versions WHERE subject = $1 ORDER BY version",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn version(
        &self,
        subject: &str,
        version: VersionRef,
    ) -> Result<Option<SubjectVersion>, RegistryError> {
        let query = match version {
            VersionRef::Latest => sqlx::query_as(select_version!(
                "WHERE sv.subject = $1 ORDER BY sv.version DESC LIMIT 1"
            ))
            .bind(subject),
            VersionRef::Number(n) => {
                sqlx::query_as(select_version!("WHERE sv.subject = $1 AND sv.version = $2"))
                    .bind(subject)
                    .bind(n)
            }
        };
        Ok(query.fetch_optional(&self.pool).await?)
    }

    /// Every version of `subject`, oldest first.
    pub async fn history(&self, subject: &str) -> Result<Vec<SubjectVersion>, RegistryError> {
        history(&self.pool, subject).await
    }

    /// The version of `subject` that holds `candidate`'s schema, if any.
    pub async fn find(
        &self,
        subject: &str,
        candidate: &Candidate,
    ) -> Result<Option<SubjectVersion>, RegistryError> {
        find(&self.pool, subject, candidate).await
    }

    pub async fn global_level(&self) -> Result<Level, RegistryError> {
        global_level(&self.pool).await
    }

    pub async fn set_global_level(&self, level: Level) -> Result<(), RegistryError> {
        sqlx::query(
            "INSERT INTO global_config (singleton, compatibility) VALUES (true, $1) \
             ON CONFLICT (singleton) DO UPDATE SET compatibility = excluded.compatibility",
        )
        .bind(level.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The subject's own level, without falling back to the global one.
    pub async fn subject_level(&self, subject: &str) -> Result<Option<Level>, RegistryError> {
        subject_level(&self.pool, subject).await
    }

    pub async fn set_subject_level(
        &self,
        subject: &str,
        level: Level,
    ) -> Result<(), RegistryError> {
        sqlx::query(
            "INSERT INTO subject_config (subject, compatibility) VALUES ($1, $2) \
             ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility",
        )
        .bind(subject)
        .bind(level.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes the subject's own level; returns it, or `None` if it had none.
    pub async fn delete_subject_level(
        &self,
        subject: &str,
    ) -> Result<Option<Level>, RegistryError> {
        let name: Option<String> = sqlx::query_scalar(
            "DELETE FROM subject_config WHERE subject = $1 RETURNING compatibility",
        )
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        name.as_deref().map(parse_level).transpose()
    }

    /// The level that governs `subject`: its own, else the global one.
    pub async fn effective_level(&self, subject: &str) -> Result<Level, RegistryError> {
        match self.subject_level(subject).await? {
            Some(level) => Ok(level),
            None => self.global_level().await,
        }
    }

    /// Registers `candidate` under `subject` and returns its id. A schema the subject already
    /// holds returns its id unchanged. Otherwise `admit` decides, given the subject's level and
    /// history, whether the schema may become the next version.
    ///
    /// Runs in one transaction holding a per-subject advisory lock, so concurrent
    /// registrations of one subject see each other and versions stay dense and unique.
    pub async fn register(
        &self,
        subject: &str,
        candidate: &Candidate,
        admit: impl FnOnce(Level, &[SubjectVersion]) -> Result<(), RegistryError>,
    ) -> Result<i32, RegistryError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(subject)
            .execute(&mut *tx)
            .await?;
        if let Some(existing) = find(&mut *tx, subject, candidate).await? {
            return Ok(existing.id);
        }
        let history = history(&mut *tx, subject).await?;
        admit(effective_level(&mut tx, subject).await?, &history)?;

        // Another subject may be registering the same schema right now: DO NOTHING waits for
        // it, and the follow-up SELECT (a new snapshot) then sees its row.
        let inserted: Option<i32> = sqlx::query_scalar(
            "INSERT INTO schemas (fingerprint, schema_text) \
             VALUES (sha256(convert_to($1, 'UTF8')), $2) \
             ON CONFLICT (fingerprint) DO NOTHING RETURNING id",
        )
        .bind(&candidate.normalized)
        .bind(&candidate.text)
        .fetch_optional(&mut *tx)
        .await?;
        let id = match inserted {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "SELECT id FROM schemas WHERE fingerprint = sha256(convert_to($1, 'UTF8'))",
                )
                .bind(&candidate.normalized)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let next = history.last().map_or(1, |v| v.version + 1);
        sqlx::query(
            "INSERT INTO subject_versions (subject, version, schema_id) VALUES ($1, $2, $3)",
        )
        .bind(subject)
        .bind(next)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(subject, version = next, id, "schema registered");
        Ok(id)
    }
}

async fn find(
    db: impl PgExecutor<'_>,
    subject: &str,
    candidate: &Candidate,
) -> Result<Option<SubjectVersion>, RegistryError> {
    Ok(sqlx::query_as(select_version!(
        "WHERE sv.subject = $1 AND s.fingerprint = sha256(convert_to($2, 'UTF8'))"
    ))
    .bind(subject)
    .bind(&candidate.normalized)
    .fetch_optional(db)
    .await?)
}

async fn history(
    db: impl PgExecutor<'_>,
    subject: &str,
) -> Result<Vec<SubjectVersion>, RegistryError> {
    Ok(
        sqlx::query_as(select_version!("WHERE sv.subject = $1 ORDER BY sv.version"))
            .bind(subject)
            .fetch_all(db)
            .await?,
    )
}

async fn global_level(db: impl PgExecutor<'_>) -> Result<Level, RegistryError> {
    let name: Option<String> = sqlx::query_scalar("SELECT compatibility FROM global_config")
        .fetch_optional(db)
        .await?;
    name.as_deref().map_or(Ok(Level::DEFAULT), parse_level)
}

async fn subject_level(
    db: impl PgExecutor<'_>,
    subject: &str,
) -> Result<Option<Level>, RegistryError> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT compatibility FROM subject_config WHERE subject = $1")
            .bind(subject)
            .fetch_optional(db)
            .await?;
    name.as_deref().map(parse_level).transpose()
}

async fn effective_level(
    db: &mut sqlx::PgConnection,
    subject: &str,
) -> Result<Level, RegistryError> {
    match subject_level(&mut *db, subject).await? {
        Some(level) => Ok(level),
        None => global_level(db).await,
    }
}

fn parse_level(name: &str) -> Result<Level, RegistryError> {
    name.parse()
        .map_err(|e| RegistryError::Corrupt(format!("stored compatibility level: {e}")))
}
