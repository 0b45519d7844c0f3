//! A password login as a use case: rate limits per address and per account first; attempts on
//! one login are counted per source and run one at a time, the password check included; past
//! the limit the login is locked for that source (or for unknown sources, past the account's
//! limit) and the lockout recorded on the principal's stream; a hash made with older
//! parameters is upgraded; then a session starts. Nothing here knows HTTP: the route maps
//! [`LoginRefused`] to its answers.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use events::{Actor, EventMetadata};
use secrecy::{ExposeSecret, SecretString};
use store::event_store::StoreError;
use store::subject_keys::LoginIndex;
use uuid::Uuid;

use super::client::{Client, recorded};
use super::{Command, Outcome, RecordLockout, Rejected, SessionRunner, StartSession, execute};
use crate::auth::credentials::{Credentials, StoredCredential};
use crate::auth::lockout::{LockoutArgs, LoginAttempts, Tripped};
use crate::auth::login_name::canonical_login;
use crate::auth::passwords::{Passwords, Verified};
use crate::auth::throttle::{Limit, Throttle, Throttled, account_subject, address_subject};
use access::refresh::RefreshToken;

/// Longest accepted login and password, in characters.
const MAX_LOGIN: usize = 320;
const MAX_PASSWORD: usize = 1024;

/// What a password login uses besides the sessions runner.
#[derive(Clone)]
pub struct LoginPorts {
    pub attempts: Arc<dyn LoginAttempts>,
    pub credentials: Arc<dyn Credentials>,
    pub passwords: Passwords,
    pub lockout: LockoutArgs,
    /// Rate limits per client address and per account.
    pub throttle: Arc<dyn Throttle>,
    /// How logins are stored and counted: keyed hashes, never addresses.
    pub logins: Arc<LoginIndex>,
}

impl std::fmt::Debug for LoginPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginPorts")
            .field("lockout", &self.lockout)
            .finish_non_exhaustive()
    }
}

/// A login attempt: the credentials presented and where they came from.
pub struct Attempt<'a> {
    pub login: &'a str,
    pub password: &'a SecretString,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The metadata of the events the attempt appends, for a given actor.
    pub metadata: &'a (dyn Fn(Option<Actor>) -> EventMetadata + Sync),
}

impl std::fmt::Debug for Attempt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("login", &self.login)
            .field("ip", &self.ip)
            .finish_non_exhaustive()
    }
}

/// Why no session started.
#[derive(Debug)]
pub enum LoginRefused {
    /// The login or password is empty or too long.
    Invalid(String),
    /// Unknown login, wrong password or disabled principal: one answer for all of them.
    InvalidCredentials,
    /// Too many attempts from the client's address or on the account.
    Throttled(Throttled),
    /// Too many failed attempts; the login is locked until then.
    Locked {
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    Store(StoreError),
    Session(Rejected),
    /// Hashing or token generation failed.
    Internal(String),
}

impl From<StoreError> for LoginRefused {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<Throttled> for LoginRefused {
    fn from(t: Throttled) -> Self {
        Self::Throttled(t)
    }
}

impl From<Rejected> for LoginRefused {
    fn from(r: Rejected) -> Self {
        Self::Session(r)
    }
}

/// A session started by a login, with what its tokens are made of.
#[derive(Debug)]
pub struct LoggedIn {
    pub credential: StoredCredential,
    pub session_id: Uuid,
    pub refresh: RefreshToken,
    pub outcome: Outcome,
}

pub async fn login(
    ports: &LoginPorts,
    runner: &SessionRunner,
    attempt: Attempt<'_>,
) -> Result<LoggedIn, LoginRefused> {
    let login = canonical_login(attempt.login);
    if login.is_empty() || login.chars().count() > MAX_LOGIN {
        return Err(LoginRefused::Invalid(format!(
            "login must be 1 to {MAX_LOGIN} characters"
        )));
    }
    let password_len = attempt.password.expose_secret().chars().count();
    if password_len == 0 || password_len > MAX_PASSWORD {
        return Err(LoginRefused::Invalid(format!(
            "password must be 1 to {MAX_PASSWORD} characters"
        )));
    }

    // The address first: one address trying many accounts spends its own bucket, not theirs.
    let source = address_subject(attempt.ip.as_deref()).unwrap_or_default();
    if !source.is_empty() {
        ports.throttle.take(Limit::LoginPerAddress, &source).await?;
    }
    let login = ports.logins.digest(&login);
    ports
        .throttle
        .take(Limit::LoginPerAccount, &account_subject(&login))
        .await?;

    // Attempts on one login run one at a time, the password check included.
    let guard = ports.attempts.begin(&login, &source).await?;
    let now = runner.ports.clock.now();
    if let Some(until) = guard.standing().locked_at(now) {
        return Err(LoginRefused::Locked { until, now });
    }
    let stored = ports.credentials.find(&login).await?;
    let verified = ports
        .passwords
        .verify(
            attempt.password,
            stored.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await
        .map_err(|e| LoginRefused::Internal(e.to_string()))?;
    let credential = match (stored, verified) {
        (Some(c), Verified::Valid | Verified::ValidRehashed(_)) if c.disabled => {
            return Err(LoginRefused::InvalidCredentials);
        }
        (Some(c), Verified::ValidRehashed(hash)) => {
            if let Err(error) = ports.credentials.rehash(c.principal_id, &hash).await {
                tracing::warn!(%error, "could not store the rehashed password");
            }
            c
        }
        (Some(c), Verified::Valid) => c,
        (stored, _) => {
            let tripped = guard.failed(now, &ports.lockout).await?;
            if let (Some(tripped), Some(c)) = (tripped, stored) {
                // Recorded in the background: a known login's 401 must not take longer than
                // an unknown one's.
                let metadata = (attempt.metadata)(Some(Actor::System("login-lockout".into())));
                tokio::spawn(record_lockout(
                    runner.clone(),
                    c.principal_id,
                    tripped,
                    metadata,
                ));
            }
            return Err(LoginRefused::InvalidCredentials);
        }
    };
    guard.succeeded().await?;

    let session_id = Uuid::now_v7();
    let refresh = RefreshToken::generate(
        credential.principal_type,
        credential.principal_id,
        session_id,
    )
    .map_err(|e| LoginRefused::Internal(e.to_string()))?;
    let client = Client {
        user_agent: attempt.user_agent,
        ip: attempt.ip,
    };
    let client = recorded(
        runner,
        credential.principal_type,
        credential.principal_id,
        client,
    )
    .await?;
    let actor = Actor::principal(credential.principal_type, credential.principal_id);
    let command = Command::Start(StartSession {
        session_id,
        principal_id: credential.principal_id,
        principal_type: credential.principal_type,
        refresh_token_hash: refresh.hash(),
        user_agent: client.user_agent,
        ip: client.ip,
        idle_timeout: runner.policy.idle_timeout,
        lifetime: runner.policy.lifetime,
        limit: runner.policy.limit,
    });
    let metadata = (attempt.metadata)(Some(actor));
    let outcome = execute(runner, credential.principal_id, command, metadata).await?;
    Ok(LoggedIn {
        credential,
        session_id,
        refresh,
        outcome,
    })
}

/// Records the lockout on the principal's stream. Best effort: the lock is in force already.
async fn record_lockout(
    runner: SessionRunner,
    principal_id: Uuid,
    tripped: Tripped,
    metadata: EventMetadata,
) {
    let command = Command::RecordLockout(RecordLockout {
        failed_attempts: tripped.failures,
        lockout_count: tripped.lockouts,
        locked_until: tripped.until,
    });
    if let Err(error) = execute(&runner, principal_id, command, metadata).await {
        tracing::warn!(error = ?error, "lockout not recorded");
    }
}
