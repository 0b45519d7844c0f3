//! The rules of the sessions aggregate, as one pure function.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use events::sessions::{RevocationReason, SessionEvent, SessionRevoked, SessionStarted};
use events::{Actor, PrincipalType};
use uuid::Uuid;

use super::Sessions;

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoke {
    pub session_id: Uuid,
    pub reason: RevocationReason,
    pub metadata: BTreeMap<String, String>,
    pub actor: Actor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start(StartSession),
    Revoke(Revoke),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("no such session")]
    NotFound,
    #[error("the session is no longer active")]
    NotActive,
    #[error("a session with this id exists already")]
    AlreadyStarted,
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
        Command::Start(c) => {
            if state.sessions.contains_key(&c.session_id) {
                return Err(SessionError::AlreadyStarted);
            }
            Ok(vec![SessionEvent::Started(SessionStarted {
                session_id: c.session_id,
                principal_id: c.principal_id,
                principal_type: c.principal_type,
                refresh_token_hash: c.refresh_token_hash,
                user_agent: c.user_agent,
                ip: c.ip,
                started_at: now,
                idle_timeout_secs: c.idle_timeout.num_seconds(),
                expires_at: now + c.lifetime,
            })])
        }
        Command::Revoke(c) => {
            check_metadata(&c.metadata)?;
            let session = state.get(c.session_id).ok_or(SessionError::NotFound)?;
            if !session.is_active(now) {
                return Err(SessionError::NotActive);
            }
            Ok(vec![SessionEvent::Revoked(SessionRevoked {
                session_id: c.session_id,
                reason: c.reason,
                metadata: c.metadata,
                revoked_by: c.actor,
                revoked_at: now,
            })])
        }
    }
}

fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<(), SessionError> {
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
