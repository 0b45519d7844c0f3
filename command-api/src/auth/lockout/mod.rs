//! Brute-force protection: failed logins are counted per login (known or not, so answers do
//! not tell them apart). Attempts on one login run one at a time — checking the password
//! included — so parallel guesses cannot exceed the limit. Reaching it locks the login for a
//! while, twice as long after each consecutive lockout; a success clears the counters.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use tokio::sync::{Mutex, OwnedMutexGuard};

use store::event_store::{StoreError, unavailable};

#[derive(Debug, Clone, clap::Args)]
pub struct LockoutArgs {
    /// Failed logins allowed before the login is locked.
    #[arg(
        long = "login-max-failures",
        env = "LOGIN_MAX_FAILURES",
        default_value_t = 5
    )]
    pub max_failures: i32,
    /// Length of the first lockout; each consecutive one lasts twice as long.
    #[arg(
        long = "login-lockout-secs",
        env = "LOGIN_LOCKOUT_SECS",
        default_value_t = 60
    )]
    pub lockout_secs: i64,
    /// Longest lockout.
    #[arg(
        long = "login-lockout-max-secs",
        env = "LOGIN_LOCKOUT_MAX_SECS",
        default_value_t = 3600
    )]
    pub lockout_max_secs: i64,
}

impl Default for LockoutArgs {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout_secs: 60,
            lockout_max_secs: 3600,
        }
    }
}

/// A login's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Consecutive failed logins since the last success or lockout.
    pub failures: i32,
    /// Consecutive lockouts since the last success.
    pub lockouts: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// The lockout a failed attempt caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tripped {
    pub failures: i32,
    pub lockouts: i32,
    pub until: DateTime<Utc>,
}

impl Attempts {
    /// Until when the login is locked at `now`, if it is.
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// The counters after a wrong password; reaching the limit locks the login, each
    /// consecutive lockout twice as long as the last (up to the cap).
    pub fn failed(self, now: DateTime<Utc>, args: &LockoutArgs) -> (Self, Option<Tripped>) {
        let failures = self.failures + 1;
        if failures < args.max_failures {
            return (Self { failures, ..self }, None);
        }
        let doubling = 1_i64 << self.lockouts.clamp(0, 30);
        let length = Duration::seconds(
            args.lockout_secs
                .saturating_mul(doubling)
                .min(args.lockout_max_secs),
        );
        let until = now + length;
        let lockouts = self.lockouts + 1;
        let next = Self {
            failures: 0,
            lockouts,
            locked_until: Some(until),
        };
        (
            next,
            Some(Tripped {
                failures,
                lockouts,
                until,
            }),
        )
    }
}

/// The counters of one login, read when an attempt begins; no other attempt on the same login
/// runs in this process until the guard is finished or dropped (dropping changes nothing).
/// It holds no database connection, so the password check in between ties up none.
#[async_trait]
pub trait AttemptGuard: Send {
    fn attempts(&self) -> Attempts;
    /// Counts a wrong password on top of the counters as stored now (other instances may have
    /// counted meanwhile); the lockout it caused, if any.
    async fn failed(
        self: Box<Self>,
        now: DateTime<Utc>,
        args: &LockoutArgs,
    ) -> Result<Option<Tripped>, StoreError>;
    /// Clears the counters after a right password.
    async fn succeeded(self: Box<Self>) -> Result<(), StoreError>;
}

#[async_trait]
pub trait LoginAttempts: Send + Sync + 'static {
    /// Waits until no other attempt on `login` runs in this process, then reads its counters.
    async fn begin(&self, login: &str) -> Result<Box<dyn AttemptGuard>, StoreError>;
}

/// Counters in Postgres. Attempts on one login are serialised by an in-process lock per login
/// stripe, held across the password check but without a connection; a failure is counted in a
/// short transaction under an advisory lock, so instances counting at once add up. Across
/// instances, guesses already in flight when a login locks are still checked: at most one per
/// other instance, and the rate limits bound them too.
#[derive(Debug, Clone)]
pub struct PgLoginAttempts {
    pool: PgPool,
    stripes: Arc<Vec<Arc<Mutex<()>>>>,
}

const STRIPES: usize = 64;

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
    attempts: Attempts,
}

const SELECT: &str = "SELECT failures, lockouts, locked_until FROM login_attempts WHERE login = $1";

fn attempts(row: Option<PgRow>) -> Result<Attempts, StoreError> {
    let Some(row) = row else {
        return Ok(Attempts::default());
    };
    Ok(Attempts {
        failures: row.try_get("failures").map_err(unavailable)?,
        lockouts: row.try_get("lockouts").map_err(unavailable)?,
        locked_until: row.try_get("locked_until").map_err(unavailable)?,
    })
}

#[async_trait]
impl LoginAttempts for PgLoginAttempts {
    async fn begin(&self, login: &str) -> Result<Box<dyn AttemptGuard>, StoreError> {
        let stripe = {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            login.hash(&mut hasher);
            self.stripes[(hasher.finish() as usize) % STRIPES].clone()
        };
        let stripe = stripe.lock_owned().await;
        let row = sqlx::query(SELECT)
            .bind(login)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(Box::new(PgAttemptGuard {
            _stripe: stripe,
            pool: self.pool.clone(),
            login: login.to_owned(),
            attempts: attempts(row)?,
        }))
    }
}

#[async_trait]
impl AttemptGuard for PgAttemptGuard {
    fn attempts(&self) -> Attempts {
        self.attempts
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
        let row = sqlx::query(SELECT)
            .bind(&self.login)
            .fetch_optional(&mut *tx)
            .await
            .map_err(unavailable)?;
        let (next, tripped) = attempts(row)?.failed(now, args);
        sqlx::query(
            "INSERT INTO login_attempts (login, failures, lockouts, locked_until) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (login) DO UPDATE SET failures = excluded.failures, \
             lockouts = excluded.lockouts, locked_until = excluded.locked_until, \
             updated_at = now()",
        )
        .bind(&self.login)
        .bind(next.failures)
        .bind(next.lockouts)
        .bind(next.locked_until)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(tripped)
    }

    async fn succeeded(self: Box<Self>) -> Result<(), StoreError> {
        if self.attempts == Attempts::default() {
            return Ok(());
        }
        sqlx::query("DELETE FROM login_attempts WHERE login = $1")
            .bind(&self.login)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

#[cfg(test)]
mod tests;
