//! The role events.

use events::roles::*;
use events::{Actor, Envelope, Permission};
use uuid::Uuid;

use super::{at, check_family, envelope};

fn role_samples() -> Vec<(Envelope, RoleEvent)> {
    let role_id = Uuid::now_v7();
    let admin = || Some(Actor::User(Uuid::now_v7()));
    vec![
        (
            envelope(1, None),
            RoleEvent::Created(RoleCreated {
                role_id,
                name: "support".into(),
                description: "Reads customers".into(),
                permissions: vec![Permission::CustomersRead, Permission::SessionsRead],
                created_at: at(1),
            }),
        ),
        (
            envelope(2, admin()),
            RoleEvent::Renamed(RoleRenamed {
                role_id,
                name: "customer support".into(),
                renamed_at: at(2),
            }),
        ),
        (
            envelope(3, admin()),
            RoleEvent::Described(RoleDescribed {
                role_id,
                description: "Reads customers and their sessions".into(),
                described_at: at(3),
            }),
        ),
        (
            envelope(4, admin()),
            RoleEvent::PermissionGranted(RolePermissionGranted {
                role_id,
                permission: Permission::SessionsRevoke,
                granted_at: at(4),
            }),
        ),
        (
            envelope(5, admin()),
            RoleEvent::PermissionRevoked(RolePermissionRevoked {
                role_id,
                permission: Permission::SessionsRead,
                revoked_at: at(5),
            }),
        ),
        (
            envelope(6, admin()),
            RoleEvent::Deleted(RoleDeleted {
                role_id,
                deleted_at: at(6),
            }),
        ),
    ]
}

#[test]
fn role_events_round_trip_through_avro_and_stored_json() {
    check_family(role_samples());
}
