//! Avro wire types of the session events, one per schema in `schemas/sessions/`. Each is one
//! [`wire_record!`] declaration, except `SessionRevokedV1`, whose actor travels as two fields.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    LoginLockedOut, RefreshTokenReuseDetected, SessionRefreshed, SessionRevoked, SessionStarted,
};
use crate::wire::{WireEnvelope, micros, timestamp, uuid, wire_record};
use crate::{Actor, Envelope, EventError, PrincipalType, WireRecord};

wire_record! {
    SessionStartedV1 for SessionStarted {
        session_id: Uuid,
        principal_id: Uuid,
        principal_type: PrincipalType,
        refresh_token_hash: String,
        user_agent: Option<String>,
        ip: Option<String>,
        started_at: DateTime<Utc>,
        idle_timeout_secs: i64,
        expires_at: DateTime<Utc>,
    }
}

wire_record! {
    SessionRefreshedV1 for SessionRefreshed {
        session_id: Uuid,
        refresh_token_hash: String,
        refreshed_at: DateTime<Utc>,
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

wire_record! {
    RefreshTokenReuseDetectedV1 for RefreshTokenReuseDetected {
        session_id: Uuid,
        detected_at: DateTime<Utc>,
        user_agent: Option<String>,
        ip: Option<String>,
    }
}

wire_record! {
    LoginLockedOutV1 for LoginLockedOut {
        failed_attempts: i32,
        lockout_count: i32,
        locked_at: DateTime<Utc>,
        locked_until: DateTime<Utc>,
    }
}
