//! Avro wire types of the user events, one per schema in `schemas/users/`.

use serde::{Deserialize, Serialize};

use super::{UserRegistered, UserRoleAssigned};
use crate::wire::{WireEnvelope, micros, timestamp, uuid};
use crate::{Envelope, EventError, WireRecord};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRegisteredV1 {
    pub envelope: WireEnvelope,
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub registered_at: i64,
}

impl WireRecord for UserRegisteredV1 {
    type Domain = UserRegistered;

    fn from_domain(envelope: &Envelope, e: &UserRegistered) -> Self {
        Self {
            envelope: envelope.into(),
            user_id: e.user_id.to_string(),
            email: e.email.clone(),
            display_name: e.display_name.clone(),
            registered_at: micros(e.registered_at),
        }
    }

    fn into_domain(self) -> Result<(Envelope, UserRegistered), EventError> {
        Ok((
            self.envelope.try_into()?,
            UserRegistered {
                user_id: uuid("user_id", &self.user_id)?,
                email: self.email,
                display_name: self.display_name,
                registered_at: timestamp("registered_at", self.registered_at)?,
            },
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRoleAssignedV1 {
    pub envelope: WireEnvelope,
    pub user_id: String,
    pub role_id: String,
    pub assigned_at: i64,
}

impl WireRecord for UserRoleAssignedV1 {
    type Domain = UserRoleAssigned;

    fn from_domain(envelope: &Envelope, e: &UserRoleAssigned) -> Self {
        Self {
            envelope: envelope.into(),
            user_id: e.user_id.to_string(),
            role_id: e.role_id.to_string(),
            assigned_at: micros(e.assigned_at),
        }
    }

    fn into_domain(self) -> Result<(Envelope, UserRoleAssigned), EventError> {
        Ok((
            self.envelope.try_into()?,
            UserRoleAssigned {
                user_id: uuid("user_id", &self.user_id)?,
                role_id: uuid("role_id", &self.role_id)?,
                assigned_at: timestamp("assigned_at", self.assigned_at)?,
            },
        ))
    }
}
