//! Counters in Postgres: one row per login and source, and one per login for the whole account
//! (source `*`). Attempts on one login are serialised by an in-process lock per login stripe,
//! held across the password check but without a connection; a failure is counted in a short
//! transaction under an advisory lock, so instances counting at once add up. Across
//! instances, guesses already in flight when a login locks are still checked: at most one per
//! other instance, and the rate limits bound them too.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::{Mutex, OwnedMutexGuard};

use store::event_store::{StoreError, unavailable};

use super::{AttemptGuard, Attempts, LockoutArgs, LoginAttempts, Standing, Tripped};

/// The source of the account-wide row; no address looks like it.
const ACCOUNT: &str = "*";

const STRIPES: usize = 64;

#[derive(Debug, Clone)]
pub struct PgLoginAttempts {
    pool: PgPool,
    stripes: Arc<Vec<Arc<Mutex<()>>>>,
}

impl PgLoginAttempts {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            stripes: Arc::new((0..STRIPES).map(|_| Arc::new(Mutex::new(()))).collect()),
        }
    }
}

struct PgAttemptGuard {
    _stripe: OwnedMutexGuard<()>,
    pool: PgPool,
    login: String,
    source: String,
    standing: Standing,
    /// When the source's row was last written (`None`: it has none).
    source_used_at: Option<DateTime<Utc>>,
}

/// A known source's row is written again on a success at most this often, so that its last use
/// is known (to forget unused ones) without a write per login.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::hours(24);

/// The counters of `login` from `source` and of its account, and when the source's row was
/// last written.
async fn standing(
    conn: &mut PgConnection,
    login: &str,
    source: &str,
) -> Result<(Standing, Option<DateTime<Utc>>), StoreError> {
    let rows = sqlx::query(
        "SELECT source, failures, lockouts, locked_until, known, updated_at FROM login_attempts \
         WHERE login = $1 AND source IN ($2, $3)",
    )
    .bind(login)
    .bind(source)
    .bind(ACCOUNT)
    .fetch_all(conn)
    .await
    .map_err(unavailable)?;
    let mut standing = Standing::default();
    let mut used_at = None;
    for row in rows {
        let attempts = attempts(&row).map_err(unavailable)?;
        match row.try_get::<&str, _>("source").map_err(unavailable)? {
            ACCOUNT => standing.account = attempts,
            _ => {
                standing.source = attempts;
                standing.known_source = row.try_get("known").map_err(unavailable)?;
                used_at = row.try_get("updated_at").map_err(unavailable)?;
            }
        }
    }
    Ok((standing, used_at))
}

fn attempts(row: &PgRow) -> Result<Attempts, sqlx::Error> {
    Ok(Attempts {
        failures: row.try_get("failures")?,
        lockouts: row.try_get("lockouts")?,
        locked_until: row.try_get("locked_until")?,
    })
}

async fn store(
    conn: &mut PgConnection,
    login: &str,
    source: &str,
    attempts: Attempts,
    known: bool,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO login_attempts (login, source, failures, lockouts, locked_until, known) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (login, source) DO UPDATE SET failures = excluded.failures, \
         lockouts = excluded.lockouts, locked_until = excluded.locked_until, \
         known = excluded.known, updated_at = now()",
    )
    .bind(login)
    .bind(source)
    .bind(attempts.failures)
    .bind(attempts.lockouts)
    .bind(attempts.locked_until)
    .bind(known)
    .execute(conn)
    .await
    .map(drop)
    .map_err(unavailable)
}

#[async_trait]
impl LoginAttempts for PgLoginAttempts {
    async fn begin(&self, login: &str, source: &str) -> Result<Box<dyn AttemptGuard>, StoreError> {
        let stripe = {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            login.hash(&mut hasher);
            self.stripes[(hasher.finish() as usize) % STRIPES].clone()
        };
        let stripe = stripe.lock_owned().await;
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        let (standing, source_used_at) = standing(&mut conn, login, source).await?;
        Ok(Box::new(PgAttemptGuard {
            _stripe: stripe,
            pool: self.pool.clone(),
            login: login.to_owned(),
            source: source.to_owned(),
            standing,
            source_used_at,
        }))
    }

    async fn forget_unused(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        sqlx::query(
            "DELETE FROM login_attempts WHERE updated_at < $1 \
             AND (locked_until IS NULL OR locked_until < now())",
        )
        .bind(before)
        .execute(&self.pool)
        .await
        .map(|done| done.rows_affected())
        .map_err(unavailable)
    }
}

#[async_trait]
impl AttemptGuard for PgAttemptGuard {
    fn standing(&self) -> Standing {
        self.standing
    }

    async fn failed(
        self: Box<Self>,
        now: DateTime<Utc>,
        args: &LockoutArgs,
    ) -> Result<Option<Tripped>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('login:' || $1, 0))")
            .bind(&self.login)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let (current, _) = standing(&mut tx, &self.login, &self.source).await?;
        let (next, tripped) = current.failed(now, args);
        store(
            &mut tx,
            &self.login,
            &self.source,
            next.source,
            next.known_source,
        )
        .await?;
        store(&mut tx, &self.login, ACCOUNT, next.account, false).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(tripped)
    }

    async fn succeeded(self: Box<Self>) -> Result<(), StoreError> {
        let clean = Attempts::default();
        let recently_used = self
            .source_used_at
            .is_some_and(|at| at > Utc::now() - TOUCH_EVERY);
        if self.standing.known_source
            && self.standing.source == clean
            && self.standing.account == clean
            && recently_used
        {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        store(&mut tx, &self.login, &self.source, clean, true).await?;
        sqlx::query("DELETE FROM login_attempts WHERE login = $1 AND source = $2")
            .bind(&self.login)
            .bind(ACCOUNT)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }
}
