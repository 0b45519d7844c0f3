//! Avro wire types of the user events, one per schema in `schemas/users/`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{UserRegistered, UserRoleAssigned};
use crate::wire::wire_record;

wire_record! {
    UserRegisteredV1 for UserRegistered {
        user_id: Uuid,
        email: String,
        display_name: String,
        registered_at: DateTime<Utc>,
    }
}

wire_record! {
    UserRoleAssignedV1 for UserRoleAssigned {
        user_id: Uuid,
        role_id: Uuid,
        assigned_at: DateTime<Utc>,
    }
}
