//! Subjects' wrapped data keys in Postgres (`subject_keys`): written in the transaction of the
//! subject's first event, read to seal and open its fields, deleted to erase it.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{DataKey, KeyWrapper, SubjectKeys};
use crate::event_store::{StoreError, TransactionalWrite, unavailable};

/// A subject's new key, stored with the command that first seals its data.
#[derive(Debug, Clone)]
pub struct NewSubjectKey {
    pub subject: Uuid,
    pub wrapped: Vec<u8>,
}

#[async_trait]
impl TransactionalWrite for NewSubjectKey {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO subject_keys (subject_id, wrapped) VALUES ($1, $2)")
            .bind(self.subject)
            .bind(&self.wrapped)
            .execute(conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

#[derive(Clone)]
pub struct PgSubjectKeys {
    pool: PgPool,
    wrapper: Arc<KeyWrapper>,
}

impl std::fmt::Debug for PgSubjectKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSubjectKeys").finish_non_exhaustive()
    }
}

impl PgSubjectKeys {
    pub fn new(pool: PgPool, wrapper: Arc<KeyWrapper>) -> Self {
        Self { pool, wrapper }
    }
}

/// A subject's key deleted in the transaction of the event that erases the subject: the event
/// and the shredding commit together or not at all. Deleting a key that is gone already is no
/// fault (erasing twice).
#[derive(Debug)]
pub struct ShredSubjectKey {
    pub subject: Uuid,
}

#[async_trait]
impl TransactionalWrite for ShredSubjectKey {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM subject_keys WHERE subject_id = $1")
            .bind(self.subject)
            .execute(conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

#[async_trait]
impl SubjectKeys for PgSubjectKeys {
    fn generate(&self, subject: Uuid) -> Result<(DataKey, NewSubjectKey), StoreError> {
        let key = DataKey::generate(subject).map_err(corrupt)?;
        let wrapped = self.wrapper.wrap(&key).map_err(corrupt)?;
        Ok((key, NewSubjectKey { subject, wrapped }))
    }

    fn shred(&self, subject: Uuid) -> Box<dyn TransactionalWrite> {
        Box::new(ShredSubjectKey { subject })
    }

    async fn find(&self, subject: Uuid) -> Result<Option<DataKey>, StoreError> {
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT wrapped FROM subject_keys WHERE subject_id = $1")
                .bind(subject)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        wrapped
            .map(|w| self.wrapper.unwrap(subject, &w).map_err(corrupt))
            .transpose()
    }
}

fn corrupt(e: super::CryptoError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}
