//! Events of the sessions aggregate: one stream per principal (`sessions-<principal_id>`) holds
//! every session of that user or customer.

mod lifetime;
mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use lifetime::Lifetime;
pub use wire::{
    LoginLockedOutV1, RefreshTokenReuseDetectedV1, SessionRefreshedV1, SessionRevokedV1,
    SessionStartedV1,
};

use crate::topics::Category;
use crate::{Actor, EventError, PrincipalType};

crate::event_family! {
    /// Everything that happens to a principal's sessions.
    pub enum SessionEvent in Category::Sessions {
        Started(SessionStarted) = "session.started.v1",
            wire SessionStartedV1, record "identity.sessions.SessionStartedV1",
            schema "sessions/session.started.v1.avsc";
        Refreshed(SessionRefreshed) = "session.refreshed.v1",
            wire SessionRefreshedV1, record "identity.sessions.SessionRefreshedV1",
            schema "sessions/session.refreshed.v1.avsc";
        Revoked(SessionRevoked) = "session.revoked.v1",
            wire SessionRevokedV1, record "identity.sessions.SessionRevokedV1",
            schema "sessions/session.revoked.v1.avsc";
        RefreshTokenReuseDetected(RefreshTokenReuseDetected) = "session.refresh_token_reuse_detected.v1",
            wire RefreshTokenReuseDetectedV1, record "identity.sessions.RefreshTokenReuseDetectedV1",
            schema "sessions/session.refresh_token_reuse_detected.v1.avsc";
        LoginLockedOut(LoginLockedOut) = "session.login_locked_out.v1",
            wire LoginLockedOutV1, record "identity.sessions.LoginLockedOutV1",
            schema "sessions/session.login_locked_out.v1.avsc";
    }
}

/// The field names a customer's client details are sealed under (with its data key, see
/// `store::subject_keys`): `user_agent` and `ip` of `session.started` and
/// `session.refresh_token_reuse_detected`, and the same keys of a revocation's metadata. Other
/// principals' are in the clear.
pub const SEALED_USER_AGENT: &str = "session.user_agent";
pub const SEALED_IP: &str = "session.ip";

/// A principal logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStarted {
    pub session_id: Uuid,
    pub principal_id: Uuid,
    pub principal_type: PrincipalType,
    /// SHA-256 (hex) of the first refresh token; the token itself is never stored.
    pub refresh_token_hash: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub started_at: DateTime<Utc>,
    /// The session ends when unused for this long.
    pub idle_timeout_secs: i64,
    /// The session ends at this time whatever its use.
    pub expires_at: DateTime<Utc>,
}

/// A refresh token was spent and replaced by the one hashed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRefreshed {
    pub session_id: Uuid,
    pub refresh_token_hash: String,
    pub refreshed_at: DateTime<Utc>,
}

/// A session ended before its expiry, with why and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRevoked {
    pub session_id: Uuid,
    pub reason: RevocationReason,
    pub metadata: BTreeMap<String, String>,
    pub revoked_by: Actor,
    pub revoked_at: DateTime<Utc>,
}

/// A refresh token that had already been spent was presented again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenReuseDetected {
    pub session_id: Uuid,
    pub detected_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Too many consecutive failed logins: the principal's login is locked until `locked_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLockedOut {
    pub failed_attempts: i32,
    /// Consecutive lockouts; each one is longer than the last.
    pub lockout_count: i32,
    pub locked_at: DateTime<Utc>,
    pub locked_until: DateTime<Utc>,
}

/// Why a session was revoked: a closed set, part of the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RevocationReason {
    UserLogout,
    AdminRevoke,
    SecurityAlert,
    SessionLimitEviction,
    RefreshTokenReuse,
    PasswordChanged,
    PrincipalDisabled,
    PrincipalErased,
}

impl RevocationReason {
    pub const ALL: [RevocationReason; 8] = [
        Self::UserLogout,
        Self::AdminRevoke,
        Self::SecurityAlert,
        Self::SessionLimitEviction,
        Self::RefreshTokenReuse,
        Self::PasswordChanged,
        Self::PrincipalDisabled,
        Self::PrincipalErased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserLogout => "USER_LOGOUT",
            Self::AdminRevoke => "ADMIN_REVOKE",
            Self::SecurityAlert => "SECURITY_ALERT",
            Self::SessionLimitEviction => "SESSION_LIMIT_EVICTION",
            Self::RefreshTokenReuse => "REFRESH_TOKEN_REUSE",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::PrincipalDisabled => "PRINCIPAL_DISABLED",
            Self::PrincipalErased => "PRINCIPAL_ERASED",
        }
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RevocationReason {
    type Err = EventError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| EventError::invalid("reason", s))
    }
}
