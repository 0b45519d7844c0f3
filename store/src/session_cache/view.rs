//! The session cache's read model: one entry per session, what introspection and the session
//! list need. Pure: how events change it, and how a stream folds into it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use events::sessions::{Lifetime, SessionEvent};
use events::{PrincipalType, Recorded};
use uuid::Uuid;

/// One session as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CachedSession {
    pub session_id: Uuid,
    pub principal_id: Uuid,
    pub principal_type: PrincipalType,
    /// `None` while active; the revocation reason once revoked.
    pub revoked: Option<String>,
    pub started_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub idle_timeout_secs: i64,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The stream version of the last event that changed this entry.
    pub version: i64,
}

impl CachedSession {
    pub fn lifetime(&self) -> Lifetime {
        Lifetime {
            last_used_at: self.last_used_at,
            idle_timeout_secs: self.idle_timeout_secs,
            expires_at: self.expires_at,
        }
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.lifetime().is_active(self.revoked.is_some(), now)
    }

    pub fn idle_expires_at(&self) -> DateTime<Utc> {
        self.lifetime().idle_expires_at()
    }

    /// When the session ends if nothing else happens: the earlier of its two expiries.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.lifetime().ends_at()
    }
}

/// How one event changes the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A whole entry (a session started).
    Put(CachedSession),
    /// An existing entry changes, at a stream version.
    Update {
        session_id: Uuid,
        version: i64,
        update: Update,
    },
    /// Nothing the cache holds.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    Used(DateTime<Utc>),
    Revoked(String),
}

impl Update {
    pub fn apply(&self, session: &mut CachedSession) {
        match self {
            Self::Used(at) => session.last_used_at = *at,
            Self::Revoked(reason) => session.revoked = Some(reason.clone()),
        }
    }
}

pub fn change(recorded: &Recorded<SessionEvent>) -> Change {
    let version = recorded.envelope.version;
    match &recorded.event {
        SessionEvent::Started(e) => Change::Put(CachedSession {
            session_id: e.session_id,
            principal_id: e.principal_id,
            principal_type: e.principal_type,
            revoked: None,
            started_at: e.started_at,
            last_used_at: e.started_at,
            idle_timeout_secs: e.idle_timeout_secs,
            expires_at: e.expires_at,
            user_agent: e.user_agent.clone(),
            ip: e.ip.clone(),
            version,
        }),
        SessionEvent::Refreshed(e) => Change::Update {
            session_id: e.session_id,
            version,
            update: Update::Used(e.refreshed_at),
        },
        SessionEvent::Revoked(e) => Change::Update {
            session_id: e.session_id,
            version,
            update: Update::Revoked(e.reason.as_str().to_owned()),
        },
        SessionEvent::RefreshTokenReuseDetected(_) | SessionEvent::LoginLockedOut(_) => {
            Change::None
        }
    }
}

/// Every session of a stream, each at the version of the last event that changed it: exactly
/// what applying the events one by one writes, so a cache built either way is the same.
pub fn fold(history: &[Recorded<SessionEvent>]) -> BTreeMap<Uuid, CachedSession> {
    let mut sessions = BTreeMap::new();
    fold_onto(&mut sessions, history);
    sessions
}

/// [`fold`], continuing from `sessions` (a snapshot's).
pub fn fold_onto(sessions: &mut BTreeMap<Uuid, CachedSession>, history: &[Recorded<SessionEvent>]) {
    for recorded in history {
        match change(recorded) {
            Change::Put(session) => {
                sessions.insert(session.session_id, session);
            }
            Change::Update {
                session_id,
                version,
                update,
            } => {
                if let Some(session) = sessions.get_mut(&session_id) {
                    update.apply(session);
                    session.version = version;
                }
            }
            Change::None => {}
        }
    }
}

#[cfg(test)]
mod tests;
