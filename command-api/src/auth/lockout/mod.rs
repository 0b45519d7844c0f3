//! Brute-force protection that an attacker cannot turn against the account's owner. Failed
//! logins are counted per login (known or not, so answers do not tell them apart) and source
//! (the client's address): reaching `--login-max-failures` locks the login *for that source*,
//! twice as long after each consecutive lockout. Across sources, consecutive failures on the
//! account are counted too; reaching `--login-account-max-failures` (100, NIST SP 800-63B
//! §5.2.2) locks the account for every source it has never logged in from, while its owner's
//! known sources still get in. A success clears the source's counters and the account's, and
//! makes the source known. Rate limits per address and per account bound the rest. Counters
//! and known sources unused for `--login-attempts-retention-days` (90) are forgotten.
//! docs/SECURITY.md weighs this against OWASP's guidance.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use store::event_store::StoreError;

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
    /// Consecutive failed logins on an account, from every source together, before it is
    /// locked for sources it never logged in from.
    #[arg(
        long = "login-account-max-failures",
        env = "LOGIN_ACCOUNT_MAX_FAILURES",
        default_value_t = 100
    )]
    pub account_max_failures: i32,
    /// Counters and known sources unused this long are forgotten (a forgotten source is
    /// treated as new by the account-wide lock; a forgotten counter starts again at 0).
    #[arg(
        long = "login-attempts-retention-days",
        env = "LOGIN_ATTEMPTS_RETENTION_DAYS",
        default_value_t = 90
    )]
    pub retention_days: i64,
}

impl Default for LockoutArgs {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout_secs: 60,
            lockout_max_secs: 3600,
            account_max_failures: 100,
            retention_days: 90,
        }
    }
}

impl LockoutArgs {
    /// Rows last used before this are forgotten.
    pub fn retained_since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.retention_days)
    }
}

/// The counters of a login from one source, or of the whole account.
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

    /// The counters after a wrong password; reaching `limit` failures locks, each
    /// consecutive lockout twice as long as the last (up to the cap).
    pub fn failed(
        self,
        now: DateTime<Utc>,
        limit: i32,
        args: &LockoutArgs,
    ) -> (Self, Option<Tripped>) {
        let failures = self.failures + 1;
        if failures < limit {
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

/// Where a login stands for one source when an attempt begins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// The counters of this login from this source.
    pub source: Attempts,
    /// The counters of this login from every source together.
    pub account: Attempts,
    /// Whether the login succeeded from this source before.
    pub known_source: bool,
}

impl Standing {
    /// Until when this source may not try the login at `now`, if it may not: its own lock,
    /// or the account's lock when the source is not one the owner logged in from.
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let account = match self.known_source {
            true => None,
            false => self.account.locked_at(now),
        };
        self.source.locked_at(now).max(account)
    }

    /// The counters after a wrong password from this source, and the lockout it caused (the
    /// source's, else the account's).
    pub fn failed(self, now: DateTime<Utc>, args: &LockoutArgs) -> (Self, Option<Tripped>) {
        let (source, by_source) = self.source.failed(now, args.max_failures, args);
        let (account, by_account) = self.account.failed(now, args.account_max_failures, args);
        let next = Self {
            source,
            account,
            ..self
        };
        (next, by_source.or(by_account))
    }
}

/// The counters of one login from one source, read when an attempt begins; no other attempt on the same login
/// runs in this process until the guard is finished or dropped (dropping changes nothing).
/// It holds no database connection, so the password check in between ties up none.
#[async_trait]
pub trait AttemptGuard: Send {
    fn standing(&self) -> Standing;
    /// Counts a wrong password on top of the counters as stored now (other instances may have
    /// counted meanwhile); the lockout it caused, if any.
    async fn failed(
        self: Box<Self>,
        now: DateTime<Utc>,
        args: &LockoutArgs,
    ) -> Result<Option<Tripped>, StoreError>;
    /// Clears the source's and the account's counters after a right password, and remembers
    /// the source as known.
    async fn succeeded(self: Box<Self>) -> Result<(), StoreError>;
}

#[async_trait]
pub trait LoginAttempts: Send + Sync + 'static {
    /// Waits until no other attempt on `login` runs in this process, then reads its counters
    /// for `source` (a client address, or empty when it is unknown).
    async fn begin(&self, login: &str, source: &str) -> Result<Box<dyn AttemptGuard>, StoreError>;
    /// Forgets the counters and known sources last used before `before` (locks still running
    /// stay); how many were forgotten.
    async fn forget_unused(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Forgets unused counters and known sources once an hour (and at start), until shutdown.
#[derive(Clone)]
pub struct Forgetting {
    pub attempts: Arc<dyn LoginAttempts>,
    pub args: LockoutArgs,
}

impl std::fmt::Debug for Forgetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forgetting")
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl Forgetting {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

    pub async fn run(self, shutdown: tokio_util::sync::CancellationToken) {
        loop {
            match self
                .attempts
                .forget_unused(self.args.retained_since(Utc::now()))
                .await
            {
                Ok(0) => {}
                Ok(forgotten) => tracing::info!(forgotten, "unused login counters forgotten"),
                Err(error) => tracing::warn!(%error, "cannot forget unused login counters"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Self::EVERY) => {}
            }
        }
    }
}

mod postgres;

pub use postgres::PgLoginAttempts;

#[cfg(test)]
mod tests;
