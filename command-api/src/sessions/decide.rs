//! The rules of the sessions aggregate, as one pure function.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use events::sessions::{
    LoginLockedOut, RefreshTokenReuseDetected, RevocationReason, SessionEvent, SessionRefreshed,
    SessionRevoked, SessionStarted,
};
use events::{Actor, PrincipalType};
use uuid::Uuid;

use super::{Scope, Session, Sessions};

/// Largest metadata map a revocation may carry.
pub const MAX_METADATA_ENTRIES: usize = 16;
pub const MAX_METADATA_KEY_LEN: usize = 64;
pub const MAX_METADATA_VALUE_LEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartSession {
    pub session_id: Uuid,
    pub principal_id: Uuid,
    pub principal_type: PrincipalType,
    pub refresh_token_hash: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub idle_timeout: Duration,
    pub lifetime: Duration,
    /// Most active sessions the principal may hold; older ones are evicted to make room.
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    pub session_id: Uuid,
    /// Hash of the refresh token the client presented.
    pub presented_hash: String,
    /// Hash of the token that replaces it.
    pub new_hash: String,
    /// How long a just-spent token may be presented again (a client retrying a refresh whose
    /// answer it lost) before it counts as reuse.
    pub grace: Duration,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// On whose authority a revocation happens; it decides which reasons may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// The principal itself.
    Owner,
    /// A holder of `sessions:revoke`.
    Administrator,
    /// The platform (limits, reuse detection, disabling, erasure).
    System,
}

impl Authority {
    pub fn may_give(self, reason: RevocationReason) -> bool {
        use RevocationReason::*;
        match self {
            Self::Owner => matches!(reason, UserLogout | SecurityAlert),
            Self::Administrator => matches!(reason, UserLogout | AdminRevoke | SecurityAlert),
            Self::System => true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoke {
    pub session_id: Uuid,
    pub reason: RevocationReason,
    pub metadata: BTreeMap<String, String>,
    pub actor: Actor,
    pub authority: Authority,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeAll {
    pub reason: RevocationReason,
    pub metadata: BTreeMap<String, String>,
    pub actor: Actor,
    pub authority: Authority,
    /// Which of the active sessions go.
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLockout {
    pub failed_attempts: i32,
    pub lockout_count: i32,
    pub locked_until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start(StartSession),
    Refresh(Refresh),
    Revoke(Revoke),
    RevokeAll(RevokeAll),
    RecordLockout(RecordLockout),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("no such session")]
    NotFound,
    #[error("the session is no longer active")]
    NotActive,
    #[error("a session with this id exists already")]
    AlreadyStarted,
    #[error("this refresh token was never issued for the session")]
    UnknownRefreshToken,
    #[error("reason {0} cannot be given on this authority")]
    ReasonNotAllowed(RevocationReason),
    #[error("invalid metadata: {0}")]
    InvalidMetadata(String),
}

/// Decides what happens when `command` meets `state` at `now`.
pub fn decide(
    state: &Sessions,
    command: Command,
    now: DateTime<Utc>,
) -> Result<Vec<SessionEvent>, SessionError> {
    match command {
        Command::Start(c) => start(state, c, now),
        Command::Refresh(c) => refresh(state, c, now),
        Command::Revoke(c) => {
            check_revocation(c.reason, c.authority, &c.metadata)?;
            let session = state.get(c.session_id).ok_or(SessionError::NotFound)?;
            if !session.is_active(now) {
                return Err(SessionError::NotActive);
            }
            Ok(vec![revoked(
                c.session_id,
                c.reason,
                c.metadata,
                c.actor,
                now,
            )])
        }
        Command::RevokeAll(c) => {
            check_revocation(c.reason, c.authority, &c.metadata)?;
            Ok(state
                .active(now)
                .filter(|s| c.scope.covers(s))
                .map(|s| revoked(s.id, c.reason, c.metadata.clone(), c.actor.clone(), now))
                .collect())
        }
        Command::RecordLockout(c) => Ok(vec![SessionEvent::LoginLockedOut(LoginLockedOut {
            failed_attempts: c.failed_attempts,
            lockout_count: c.lockout_count,
            locked_at: now,
            locked_until: c.locked_until,
        })]),
    }
}

/// A new session; if the principal would then hold more than `limit` active sessions, the
/// least recently used ones are revoked in the same append.
fn start(
    state: &Sessions,
    c: StartSession,
    now: DateTime<Utc>,
) -> Result<Vec<SessionEvent>, SessionError> {
    if state.sessions.contains_key(&c.session_id) {
        return Err(SessionError::AlreadyStarted);
    }
    let mut active: Vec<&Session> = state.active(now).collect();
    active.sort_by_key(|s| (s.last_used_at, s.started_at, s.id));
    let excess = (active.len() + 1).saturating_sub(c.limit.max(1));
    let mut events: Vec<SessionEvent> = active
        .iter()
        .take(excess)
        .map(|s| {
            revoked(
                s.id,
                RevocationReason::SessionLimitEviction,
                BTreeMap::from([("evicted_for".into(), c.session_id.to_string())]),
                Actor::System("session-limit".into()),
                now,
            )
        })
        .collect();
    events.push(SessionEvent::Started(SessionStarted {
        session_id: c.session_id,
        principal_id: c.principal_id,
        principal_type: c.principal_type,
        refresh_token_hash: c.refresh_token_hash,
        user_agent: c.user_agent,
        ip: c.ip,
        started_at: now,
        idle_timeout_secs: c.idle_timeout.num_seconds(),
        expires_at: now + c.lifetime,
    }));
    Ok(events)
}

/// Rotates the refresh token. A token already spent (outside the grace period) means it was
/// copied: the whole session is revoked.
fn refresh(
    state: &Sessions,
    c: Refresh,
    now: DateTime<Utc>,
) -> Result<Vec<SessionEvent>, SessionError> {
    let session = state.get(c.session_id).ok_or(SessionError::NotFound)?;
    if !session.is_active(now) {
        return Err(SessionError::NotActive);
    }
    let rotated = SessionEvent::Refreshed(SessionRefreshed {
        session_id: c.session_id,
        refresh_token_hash: c.new_hash,
        refreshed_at: now,
    });
    if session.refresh_token_hash == c.presented_hash {
        return Ok(vec![rotated]);
    }
    let spent_at = session
        .spent
        .iter()
        .find(|spent| spent.0 == c.presented_hash)
        .map(|spent| spent.1)
        .ok_or(SessionError::UnknownRefreshToken)?;
    // Without a grace period no second use is a retry, even one that a clock behind the
    // spender's dates before the spend. With one, such a clock widens it by its lag.
    if c.grace > Duration::zero() && now - spent_at < c.grace {
        return Ok(vec![rotated]);
    }
    let mut metadata = BTreeMap::new();
    metadata.extend(c.user_agent.clone().map(|ua| ("user_agent".to_owned(), ua)));
    metadata.extend(c.ip.clone().map(|ip| ("ip".to_owned(), ip)));
    Ok(vec![
        SessionEvent::RefreshTokenReuseDetected(RefreshTokenReuseDetected {
            session_id: c.session_id,
            detected_at: now,
            user_agent: c.user_agent,
            ip: c.ip,
        }),
        revoked(
            c.session_id,
            RevocationReason::RefreshTokenReuse,
            metadata,
            Actor::System("refresh-token-reuse".into()),
            now,
        ),
    ])
}

fn revoked(
    session_id: Uuid,
    reason: RevocationReason,
    metadata: BTreeMap<String, String>,
    revoked_by: Actor,
    now: DateTime<Utc>,
) -> SessionEvent {
    SessionEvent::Revoked(SessionRevoked {
        session_id,
        reason,
        metadata,
        revoked_by,
        revoked_at: now,
    })
}

fn check_revocation(
    reason: RevocationReason,
    authority: Authority,
    metadata: &BTreeMap<String, String>,
) -> Result<(), SessionError> {
    if !authority.may_give(reason) {
        return Err(SessionError::ReasonNotAllowed(reason));
    }
    if metadata.len() > MAX_METADATA_ENTRIES {
        return Err(SessionError::InvalidMetadata(format!(
            "at most {MAX_METADATA_ENTRIES} entries"
        )));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.chars().count() > MAX_METADATA_KEY_LEN {
            return Err(SessionError::InvalidMetadata(format!(
                "keys are 1 to {MAX_METADATA_KEY_LEN} characters"
            )));
        }
        if value.chars().count() > MAX_METADATA_VALUE_LEN {
            return Err(SessionError::InvalidMetadata(format!(
                "values are at most {MAX_METADATA_VALUE_LEN} characters"
            )));
        }
    }
    Ok(())
}
