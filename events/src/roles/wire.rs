//! Avro wire types of the role events, one per schema in `schemas/roles/`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::RoleCreated;
use crate::Permission;
use crate::wire::wire_record;

wire_record! {
    RoleCreatedV1 for RoleCreated {
        role_id: Uuid,
        name: String,
        description: String,
        permissions: Vec<Permission>,
        created_at: DateTime<Utc>,
    }
}
