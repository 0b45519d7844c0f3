//! What the sessions aggregate remembers: every session of one principal, folded from its
//! events. `evolve` only records what happened; the rules are in `decide`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use events::PrincipalType;
use events::sessions::{Lifetime, RevocationReason, SessionEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Spent refresh-token hashes kept per session, newest first out. At one refresh per access
/// token lifetime (15 minutes) this covers 16 hours, more than a session lives; an older token
/// presented again is refused as unknown rather than treated as reuse.
pub const SPENT_KEPT: usize = 64;

/// The state of one session as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: Uuid,
    pub principal_type: PrincipalType,
    pub started_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub idle_timeout_secs: i64,
    pub expires_at: DateTime<Utc>,
    /// Hash of the refresh token that rotates the session next.
    pub refresh_token_hash: String,
    /// Hashes of the refresh tokens already spent, with when they were spent.
    pub spent: Vec<(String, DateTime<Utc>)>,
    pub revoked: Option<(RevocationReason, DateTime<Utc>)>,
}

impl Session {
    pub fn lifetime(&self) -> Lifetime {
        Lifetime {
            last_used_at: self.last_used_at,
            idle_timeout_secs: self.idle_timeout_secs,
            expires_at: self.expires_at,
        }
    }

    /// Not revoked, not past its absolute lifetime, not idle for too long.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.lifetime().is_active(self.revoked.is_some(), now)
    }

    pub fn idle_expires_at(&self) -> DateTime<Utc> {
        self.lifetime().idle_expires_at()
    }

    /// When the session ended or will end: revoked, idle or at its absolute expiry.
    pub fn ends_at(&self) -> DateTime<Utc> {
        let natural = self.lifetime().ends_at();
        self.revoked.map_or(natural, |(_, at)| at.min(natural))
    }
}

/// Every session of one principal, at a stream version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sessions {
    pub version: i64,
    pub sessions: BTreeMap<Uuid, Session>,
}

impl Sessions {
    /// The state after `event`, recorded at `version`.
    pub fn evolve(mut self, version: i64, event: &SessionEvent) -> Self {
        self.version = version;
        match event {
            SessionEvent::Started(e) => {
                self.sessions.insert(
                    e.session_id,
                    Session {
                        id: e.session_id,
                        principal_type: e.principal_type,
                        started_at: e.started_at,
                        last_used_at: e.started_at,
                        idle_timeout_secs: e.idle_timeout_secs,
                        expires_at: e.expires_at,
                        refresh_token_hash: e.refresh_token_hash.clone(),
                        spent: Vec::new(),
                        revoked: None,
                    },
                );
            }
            SessionEvent::Refreshed(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    let spent =
                        std::mem::replace(&mut s.refresh_token_hash, e.refresh_token_hash.clone());
                    s.spent.push((spent, e.refreshed_at));
                    if s.spent.len() > SPENT_KEPT {
                        s.spent.remove(0);
                    }
                    s.last_used_at = e.refreshed_at;
                }
            }
            SessionEvent::Revoked(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.revoked = Some((e.reason, e.revoked_at));
                }
            }
            SessionEvent::RefreshTokenReuseDetected(_) | SessionEvent::LoginLockedOut(_) => {}
        }
        self
    }

    pub fn get(&self, session_id: Uuid) -> Option<&Session> {
        self.sessions.get(&session_id)
    }

    /// The sessions active at `now`.
    pub fn active(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Session> {
        self.sessions.values().filter(move |s| s.is_active(now))
    }

    /// This state without the sessions that ended before `horizon`: what a snapshot keeps.
    /// Nothing can happen to those any more; a later command naming one finds no session.
    pub fn without_ended_before(mut self, horizon: DateTime<Utc>) -> Self {
        self.sessions.retain(|_, s| s.ends_at() >= horizon);
        self
    }
}
