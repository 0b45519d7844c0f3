//! Owed revocations in Postgres (`owed_revocations`), one row per principal and reason.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool, Row};
use store::event_store::{StoreError, TransactionalWrite, unavailable};

use super::{Owed, OwedRevocations};

#[derive(Debug, Clone)]
pub struct PgOwedRevocations {
    pool: PgPool,
}

impl PgOwedRevocations {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

struct Owe(Owed);

#[async_trait]
impl TransactionalWrite for Owe {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        let metadata = serde_json::to_value(&self.0.metadata)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO owed_revocations (principal_id, reason, moment, except_session, metadata) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (principal_id, reason) DO UPDATE SET moment = excluded.moment, \
             except_session = excluded.except_session, metadata = excluded.metadata, \
             owed_since = now()",
        )
        .bind(self.0.principal_id)
        .bind(self.0.reason.as_str())
        .bind(self.0.moment)
        .bind(self.0.except)
        .bind(metadata)
        .execute(conn)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl OwedRevocations for PgOwedRevocations {
    fn owe(&self, owed: &Owed) -> Box<dyn TransactionalWrite> {
        Box::new(Owe(owed.clone()))
    }

    async fn overdue(&self, age: Duration, limit: i64) -> Result<Vec<Owed>, StoreError> {
        let rows = sqlx::query(
            "SELECT principal_id, reason, moment, except_session, metadata FROM owed_revocations \
             WHERE owed_since < now() - make_interval(secs => $1) ORDER BY owed_since LIMIT $2",
        )
        .bind(age.as_secs_f64())
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.iter()
            .map(|row| {
                let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt(e.to_string());
                let reason: String = row.get("reason");
                Ok(Owed {
                    principal_id: row.get("principal_id"),
                    reason: reason.parse().map_err(|e| corrupt(&e))?,
                    moment: row.get("moment"),
                    except: row.get("except_session"),
                    metadata: serde_json::from_value(row.get("metadata"))
                        .map_err(|e| corrupt(&e))?,
                })
            })
            .collect()
    }

    async fn settled(&self, owed: &Owed) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM owed_revocations \
             WHERE principal_id = $1 AND reason = $2 AND moment = $3",
        )
        .bind(owed.principal_id)
        .bind(owed.reason.as_str())
        .bind(owed.moment)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}
