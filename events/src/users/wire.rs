//! Avro wire types of the user events, one per schema in `schemas/users/`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    UserDisabled, UserDisplayNameChanged, UserEmailChanged, UserEnabled, UserPasswordChanged,
    UserRegistered, UserRoleAssigned, UserRoleUnassigned,
};
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

wire_record! {
    UserRoleUnassignedV1 for UserRoleUnassigned {
        user_id: Uuid,
        role_id: Uuid,
        unassigned_at: DateTime<Utc>,
    }
}

wire_record! {
    UserDisplayNameChangedV1 for UserDisplayNameChanged {
        user_id: Uuid,
        display_name: String,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    UserEmailChangedV1 for UserEmailChanged {
        user_id: Uuid,
        email: String,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    UserPasswordChangedV1 for UserPasswordChanged {
        user_id: Uuid,
        changed_at: DateTime<Utc>,
    }
}

wire_record! {
    UserDisabledV1 for UserDisabled {
        user_id: Uuid,
        disabled_at: DateTime<Utc>,
    }
}

wire_record! {
    UserEnabledV1 for UserEnabled {
        user_id: Uuid,
        enabled_at: DateTime<Utc>,
    }
}
