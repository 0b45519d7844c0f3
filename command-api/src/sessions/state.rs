//! What the sessions aggregate remembers: every session of one principal, folded from its
//! events. `evolve` only records what happened; the rules are in `decide`.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use events::PrincipalType;
use events::sessions::{Lifetime, RevocationReason, SessionEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Spent refresh-token hashes kept per session, newest first out. At one refresh per access
/// token lifetime (15 minutes) this covers 16 hours, more than a session lives; an older token
/// presented again is refused as unknown rather than treated as reuse.
pub const SPENT_KEPT: usize = 64;

/// Ended sessions a principal's state keeps beside its active ones, the most recently ended:
/// a command naming one of those is answered "no longer active", an older one "no such
/// session". It bounds what every command reads and parses by the session limit, however often
/// the principal logs in (and snapshots still drop those ended over a day ago).
pub const ENDED_KEPT: usize = 8;

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
    /// The refresh tokens already spent, oldest first; none once the session is revoked, since
    /// an ended session refuses every refresh before its tokens are looked at.
    pub spent: VecDeque<Spent>,
    pub revoked: Option<(RevocationReason, DateTime<Utc>)>,
}

/// A spent refresh token's hash and when it was spent (to the millisecond: snapshots carry
/// up to [`SPENT_KEPT`] of these per session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spent(
    pub String,
    #[serde(with = "chrono::serde::ts_milliseconds")] pub DateTime<Utc>,
);

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
                        spent: VecDeque::new(),
                        revoked: None,
                    },
                );
                self.keep_recently_ended(e.started_at);
            }
            SessionEvent::Refreshed(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    let spent =
                        std::mem::replace(&mut s.refresh_token_hash, e.refresh_token_hash.clone());
                    s.spent.push_back(Spent(spent, e.refreshed_at));
                    if s.spent.len() > SPENT_KEPT {
                        s.spent.pop_front();
                    }
                    s.last_used_at = e.refreshed_at;
                }
            }
            SessionEvent::Revoked(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.revoked = Some((e.reason, e.revoked_at));
                    s.spent = VecDeque::new();
                }
            }
            SessionEvent::RefreshTokenReuseDetected(_) | SessionEvent::LoginLockedOut(_) => {}
        }
        self
    }

    /// Forgets all but the [`ENDED_KEPT`] most recently ended of the sessions ended at `at`.
    fn keep_recently_ended(&mut self, at: DateTime<Utc>) {
        let mut ended: Vec<(DateTime<Utc>, Uuid)> = self
            .sessions
            .values()
            .filter(|s| !s.is_active(at))
            .map(|s| (s.ends_at(), s.id))
            .collect();
        if ended.len() <= ENDED_KEPT {
            return;
        }
        ended.sort_unstable_by(|a, b| b.cmp(a));
        for (_, id) in &ended[ENDED_KEPT..] {
            self.sessions.remove(id);
        }
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
