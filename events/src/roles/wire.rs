//! Avro wire types of the role events, one per schema in `schemas/roles/`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    RoleCreated, RoleDeleted, RoleDescribed, RolePermissionGranted, RolePermissionRevoked,
    RoleRenamed,
};
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

wire_record! {
    RoleRenamedV1 for RoleRenamed {
        role_id: Uuid,
        name: String,
        renamed_at: DateTime<Utc>,
    }
}

wire_record! {
    RoleDescribedV1 for RoleDescribed {
        role_id: Uuid,
        description: String,
        described_at: DateTime<Utc>,
    }
}

wire_record! {
    RolePermissionGrantedV1 for RolePermissionGranted {
        role_id: Uuid,
        permission: Permission,
        granted_at: DateTime<Utc>,
    }
}

wire_record! {
    RolePermissionRevokedV1 for RolePermissionRevoked {
        role_id: Uuid,
        permission: Permission,
        revoked_at: DateTime<Utc>,
    }
}

wire_record! {
    RoleDeletedV1 for RoleDeleted {
        role_id: Uuid,
        deleted_at: DateTime<Utc>,
    }
}
