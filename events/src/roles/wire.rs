//! Avro wire types of the role events, one per schema in `schemas/roles/`.

use serde::{Deserialize, Serialize};

use super::RoleCreated;
use crate::wire::{WireEnvelope, micros, timestamp, uuid};
use crate::{Envelope, EventError, WireRecord};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleCreatedV1 {
    pub envelope: WireEnvelope,
    pub role_id: String,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
}

impl WireRecord for RoleCreatedV1 {
    type Domain = RoleCreated;

    fn from_domain(envelope: &Envelope, e: &RoleCreated) -> Self {
        Self {
            envelope: envelope.into(),
            role_id: e.role_id.to_string(),
            name: e.name.clone(),
            description: e.description.clone(),
            permissions: e
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            created_at: micros(e.created_at),
        }
    }

    fn into_domain(self) -> Result<(Envelope, RoleCreated), EventError> {
        Ok((
            self.envelope.try_into()?,
            RoleCreated {
                role_id: uuid("role_id", &self.role_id)?,
                name: self.name,
                description: self.description,
                permissions: self
                    .permissions
                    .iter()
                    .map(|p| p.parse())
                    .collect::<Result<_, _>>()?,
                created_at: timestamp("created_at", self.created_at)?,
            },
        ))
    }
}
