//! Avro wire types of the session events, one per schema in `schemas/sessions/`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    LoginLockedOut, RefreshTokenReuseDetected, SessionRefreshed, SessionRevoked, SessionStarted,
};
use crate::wire::{WireEnvelope, micros, timestamp, uuid};
use crate::{Actor, Envelope, EventError, WireRecord};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStartedV1 {
    pub envelope: WireEnvelope,
    pub session_id: String,
    pub principal_id: String,
    pub principal_type: String,
    pub refresh_token_hash: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub started_at: i64,
    pub idle_timeout_secs: i64,
    pub expires_at: i64,
}

impl WireRecord for SessionStartedV1 {
    type Domain = SessionStarted;

    fn from_domain(envelope: &Envelope, e: &SessionStarted) -> Self {
        Self {
            envelope: envelope.into(),
            session_id: e.session_id.to_string(),
            principal_id: e.principal_id.to_string(),
            principal_type: e.principal_type.as_str().to_owned(),
            refresh_token_hash: e.refresh_token_hash.clone(),
            user_agent: e.user_agent.clone(),
            ip: e.ip.clone(),
            started_at: micros(e.started_at),
            idle_timeout_secs: e.idle_timeout_secs,
            expires_at: micros(e.expires_at),
        }
    }

    fn into_domain(self) -> Result<(Envelope, SessionStarted), EventError> {
        Ok((
            self.envelope.try_into()?,
            SessionStarted {
                session_id: uuid("session_id", &self.session_id)?,
                principal_id: uuid("principal_id", &self.principal_id)?,
                principal_type: self.principal_type.parse()?,
                refresh_token_hash: self.refresh_token_hash,
                user_agent: self.user_agent,
                ip: self.ip,
                started_at: timestamp("started_at", self.started_at)?,
                idle_timeout_secs: self.idle_timeout_secs,
                expires_at: timestamp("expires_at", self.expires_at)?,
            },
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRefreshedV1 {
    pub envelope: WireEnvelope,
    pub session_id: String,
    pub refresh_token_hash: String,
    pub refreshed_at: i64,
}

impl WireRecord for SessionRefreshedV1 {
    type Domain = SessionRefreshed;

    fn from_domain(envelope: &Envelope, e: &SessionRefreshed) -> Self {
        Self {
            envelope: envelope.into(),
            session_id: e.session_id.to_string(),
            refresh_token_hash: e.refresh_token_hash.clone(),
            refreshed_at: micros(e.refreshed_at),
        }
    }

    fn into_domain(self) -> Result<(Envelope, SessionRefreshed), EventError> {
        Ok((
            self.envelope.try_into()?,
            SessionRefreshed {
                session_id: uuid("session_id", &self.session_id)?,
                refresh_token_hash: self.refresh_token_hash,
                refreshed_at: timestamp("refreshed_at", self.refreshed_at)?,
            },
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRevokedV1 {
    pub envelope: WireEnvelope,
    pub session_id: String,
    pub reason: String,
    pub metadata: BTreeMap<String, String>,
    pub revoked_by_type: String,
    pub revoked_by_id: String,
    pub revoked_at: i64,
}

impl WireRecord for SessionRevokedV1 {
    type Domain = SessionRevoked;

    fn from_domain(envelope: &Envelope, e: &SessionRevoked) -> Self {
        let (revoked_by_type, revoked_by_id) = e.revoked_by.parts();
        Self {
            envelope: envelope.into(),
            session_id: e.session_id.to_string(),
            reason: e.reason.as_str().to_owned(),
            metadata: e.metadata.clone(),
            revoked_by_type: revoked_by_type.to_owned(),
            revoked_by_id,
            revoked_at: micros(e.revoked_at),
        }
    }

    fn into_domain(self) -> Result<(Envelope, SessionRevoked), EventError> {
        Ok((
            self.envelope.try_into()?,
            SessionRevoked {
                session_id: uuid("session_id", &self.session_id)?,
                reason: self.reason.parse()?,
                metadata: self.metadata,
                revoked_by: Actor::from_parts(&self.revoked_by_type, &self.revoked_by_id)?,
                revoked_at: timestamp("revoked_at", self.revoked_at)?,
            },
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshTokenReuseDetectedV1 {
    pub envelope: WireEnvelope,
    pub session_id: String,
    pub detected_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl WireRecord for RefreshTokenReuseDetectedV1 {
    type Domain = RefreshTokenReuseDetected;

    fn from_domain(envelope: &Envelope, e: &RefreshTokenReuseDetected) -> Self {
        Self {
            envelope: envelope.into(),
            session_id: e.session_id.to_string(),
            detected_at: micros(e.detected_at),
            user_agent: e.user_agent.clone(),
            ip: e.ip.clone(),
        }
    }

    fn into_domain(self) -> Result<(Envelope, RefreshTokenReuseDetected), EventError> {
        Ok((
            self.envelope.try_into()?,
            RefreshTokenReuseDetected {
                session_id: uuid("session_id", &self.session_id)?,
                detected_at: timestamp("detected_at", self.detected_at)?,
                user_agent: self.user_agent,
                ip: self.ip,
            },
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginLockedOutV1 {
    pub envelope: WireEnvelope,
    pub failed_attempts: i32,
    pub lockout_count: i32,
    pub locked_at: i64,
    pub locked_until: i64,
}

impl WireRecord for LoginLockedOutV1 {
    type Domain = LoginLockedOut;

    fn from_domain(envelope: &Envelope, e: &LoginLockedOut) -> Self {
        Self {
            envelope: envelope.into(),
            failed_attempts: e.failed_attempts,
            lockout_count: e.lockout_count,
            locked_at: micros(e.locked_at),
            locked_until: micros(e.locked_until),
        }
    }

    fn into_domain(self) -> Result<(Envelope, LoginLockedOut), EventError> {
        Ok((
            self.envelope.try_into()?,
            LoginLockedOut {
                failed_attempts: self.failed_attempts,
                lockout_count: self.lockout_count,
                locked_at: timestamp("locked_at", self.locked_at)?,
                locked_until: timestamp("locked_until", self.locked_until)?,
            },
        ))
    }
}
