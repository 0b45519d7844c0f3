//! The sessions aggregate: every session of one principal, in one stream
//! (`sessions-<principal_id>`). [`decide`] holds every rule; [`Sessions::evolve`] only records
//! what happened. Handlers load, decide, append.

mod decide;
pub mod login;
pub mod logout;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use events::sessions::{RevocationReason, SessionEvent};
use events::topics::Category;
use events::{EventFamily, EventMetadata, PrincipalType, RawEvent};
use uuid::Uuid;

use crate::event_store::{NewEvent, StoreError};
use crate::http::{ApiError, AppState};

pub use decide::{
    Command, MAX_METADATA_ENTRIES, MAX_METADATA_KEY_LEN, MAX_METADATA_VALUE_LEN, Revoke,
    SessionError, StartSession, decide,
};

/// The state of one session as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub principal_type: PrincipalType,
    pub started_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub idle_timeout: Duration,
    pub expires_at: DateTime<Utc>,
    pub refresh_token_hash: String,
    pub revoked: Option<(RevocationReason, DateTime<Utc>)>,
}

impl Session {
    /// Not revoked, not past its absolute lifetime, not idle for too long.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked.is_none() && now < self.expires_at && now < self.idle_expires_at()
    }

    pub fn idle_expires_at(&self) -> DateTime<Utc> {
        self.last_used_at + self.idle_timeout
    }
}

/// Every session of one principal, at a stream version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sessions {
    pub version: i64,
    pub sessions: BTreeMap<Uuid, Session>,
}

impl Sessions {
    pub fn from_history(events: &[RawEvent]) -> Result<Self, events::EventError> {
        events.iter().try_fold(Self::default(), |state, raw| {
            let recorded = SessionEvent::from_raw(raw)?;
            Ok(state.evolve(raw.envelope.version, &recorded.event))
        })
    }

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
                        idle_timeout: Duration::seconds(e.idle_timeout_secs),
                        expires_at: e.expires_at,
                        refresh_token_hash: e.refresh_token_hash.clone(),
                        revoked: None,
                    },
                );
            }
            SessionEvent::Refreshed(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.last_used_at = e.refreshed_at;
                    s.refresh_token_hash = e.refresh_token_hash.clone();
                }
            }
            SessionEvent::Revoked(e) => {
                if let Some(s) = self.sessions.get_mut(&e.session_id) {
                    s.revoked = Some((e.reason, e.revoked_at));
                }
            }
            SessionEvent::RefreshTokenReuseDetected(_) => {}
        }
        self
    }

    pub fn get(&self, session_id: Uuid) -> Option<&Session> {
        self.sessions.get(&session_id)
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct SessionArgs {
    /// A session ends when unused (no refresh) for this long.
    #[arg(long = "session-idle-timeout-secs", env = "SESSION_IDLE_TIMEOUT_SECS", default_value_t = 30 * 60)]
    pub idle_timeout_secs: i64,
    /// A session ends this long after login, however it is used.
    #[arg(long = "session-lifetime-secs", env = "SESSION_LIFETIME_SECS", default_value_t = 10 * 60 * 60)]
    pub lifetime_secs: i64,
    /// Most active sessions per principal; the next login evicts the least recently used.
    #[arg(long = "session-limit", env = "SESSION_LIMIT", default_value_t = 5)]
    pub limit: usize,
}

impl Default for SessionArgs {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 30 * 60,
            lifetime_secs: 10 * 60 * 60,
            limit: 5,
        }
    }
}

/// The session rules' parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_timeout: Duration,
    pub lifetime: Duration,
    pub limit: usize,
}

impl From<&SessionArgs> for SessionPolicy {
    fn from(args: &SessionArgs) -> Self {
        Self {
            idle_timeout: Duration::seconds(args.idle_timeout_secs),
            lifetime: Duration::seconds(args.lifetime_secs),
            limit: args.limit,
        }
    }
}

/// Appends that lost a race this many times in a row give up with 409.
const MAX_ATTEMPTS: usize = 8;

/// Why a command on a sessions stream did not happen.
#[derive(Debug)]
pub enum Rejected {
    /// The rules said no.
    Domain(SessionError),
    Api(ApiError),
}

impl From<StoreError> for Rejected {
    fn from(e: StoreError) -> Self {
        Self::Api(e.into())
    }
}

impl From<Rejected> for ApiError {
    fn from(r: Rejected) -> Self {
        match r {
            Rejected::Api(e) => e,
            Rejected::Domain(SessionError::NotFound) => ApiError::NotFound("session"),
            Rejected::Domain(SessionError::NotActive) => ApiError::State {
                code: "session_not_active",
                detail: "the session has ended already".into(),
            },
            Rejected::Domain(SessionError::InvalidMetadata(detail)) => ApiError::Invalid(detail),
            Rejected::Domain(e @ SessionError::AlreadyStarted) => ApiError::Internal(e.to_string()),
        }
    }
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub events: Vec<SessionEvent>,
    pub version: i64,
    /// The time the command was decided at.
    pub now: DateTime<Utc>,
}

/// Loads the principal's sessions, decides `command`, appends the result at the version it
/// was decided on; a lost race starts over from a fresh load.
pub async fn execute(
    state: &AppState,
    principal_id: Uuid,
    command: Command,
    metadata: EventMetadata,
) -> Result<Outcome, Rejected> {
    let stream = Category::Sessions.stream_id(principal_id);
    for _ in 0..MAX_ATTEMPTS {
        let history = state.store.read_stream(&stream, 1).await?;
        let current = Sessions::from_history(&history)
            .map_err(|e| Rejected::Api(ApiError::Internal(e.to_string())))?;
        let now = state.clock.now();
        let events = decide(&current, command.clone(), now).map_err(Rejected::Domain)?;
        let new = events
            .iter()
            .map(|e| NewEvent::new(e, metadata.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Rejected::Api(ApiError::Internal(e.to_string())))?;
        match state.store.append(&stream, current.version, new).await {
            Ok(appended) => {
                return Ok(Outcome {
                    events,
                    version: appended.version,
                    now,
                });
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Rejected::Api(ApiError::Conflict))
}
