//! Given these events, when this command, then these events (or this error).

use chrono::{DateTime, Duration, TimeZone, Utc};
use events::Permission;
use events::roles::*;
use uuid::Uuid;

use super::fields::{Description, RoleName};
use super::*;

const ROLE: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0010);

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0)
        .single()
        .expect("valid time")
        + Duration::minutes(minutes)
}

fn given(history: &[RoleEvent]) -> Role {
    history
        .iter()
        .zip(1..)
        .fold(Role::default(), |state, (event, version)| {
            state.evolve(version, event)
        })
}

fn created() -> RoleEvent {
    RoleEvent::Created(RoleCreated {
        role_id: ROLE,
        name: "support".into(),
        description: "Reads customers".into(),
        permissions: vec![Permission::SessionsRead, Permission::CustomersRead],
        created_at: t(0),
    })
}

fn deleted() -> RoleEvent {
    RoleEvent::Deleted(RoleDeleted {
        role_id: ROLE,
        deleted_at: t(1),
    })
}

fn when(history: &[RoleEvent], change: RoleChange) -> Result<Vec<RoleEvent>, RoleError> {
    decide(&given(history), RoleCommand::Change(change), t(5))
}

fn name(raw: &str) -> RoleName {
    RoleName::parse(raw).expect("valid name")
}

fn definition() -> RoleDefinition {
    RoleDefinition {
        role_id: ROLE,
        name: name(" support "),
        description: Description::parse("Reads customers").expect("valid"),
        permissions: vec![
            Permission::SessionsRead,
            Permission::CustomersRead,
            Permission::SessionsRead,
        ],
    }
}

#[test]
fn creating_records_each_permission_once() {
    let Ok(events) = decide(&Role::default(), RoleCommand::Create(definition()), t(0)) else {
        panic!("created");
    };
    let [RoleEvent::Created(e)] = events.as_slice() else {
        panic!("one creation: {events:?}");
    };
    assert_eq!(e.name, "support");
    // In the closed set's order, each once.
    assert_eq!(
        e.permissions,
        vec![Permission::SessionsRead, Permission::CustomersRead]
    );
}

#[test]
fn a_role_is_created_once() {
    assert_eq!(
        decide(
            &given(&[created()]),
            RoleCommand::Create(definition()),
            t(1)
        ),
        Err(RoleError::AlreadyCreated)
    );
}

#[test]
fn an_unknown_or_deleted_role_changes_no_more() {
    for history in [vec![], vec![created(), deleted()]] {
        for change in [
            RoleChange::Rename(name("other")),
            RoleChange::Grant(Permission::UsersRead),
            RoleChange::Revoke(Permission::SessionsRead),
            RoleChange::Delete,
        ] {
            assert_eq!(
                when(&history, change.clone()),
                Err(RoleError::NotFound),
                "{change:?}"
            );
        }
    }
}

#[test]
fn renaming_and_describing_record_only_a_change() {
    assert_eq!(
        when(&[created()], RoleChange::Rename(name("customer support"))),
        Ok(vec![RoleEvent::Renamed(RoleRenamed {
            role_id: ROLE,
            name: "customer support".into(),
            renamed_at: t(5),
        })])
    );
    assert_eq!(
        when(&[created()], RoleChange::Rename(name("support"))),
        Ok(vec![])
    );
    let same = Description::parse(" Reads customers ").expect("valid");
    assert_eq!(when(&[created()], RoleChange::Describe(same)), Ok(vec![]));
}

#[test]
fn a_permission_is_granted_once_and_revoked_only_when_granted() {
    assert_eq!(
        when(&[created()], RoleChange::Grant(Permission::SessionsRevoke)),
        Ok(vec![RoleEvent::PermissionGranted(RolePermissionGranted {
            role_id: ROLE,
            permission: Permission::SessionsRevoke,
            granted_at: t(5),
        })])
    );
    assert_eq!(
        when(&[created()], RoleChange::Grant(Permission::SessionsRead)),
        Ok(vec![])
    );
    assert_eq!(
        when(&[created()], RoleChange::Revoke(Permission::UsersWrite)),
        Ok(vec![])
    );
    let revoked = RoleEvent::PermissionRevoked(RolePermissionRevoked {
        role_id: ROLE,
        permission: Permission::SessionsRead,
        revoked_at: t(5),
    });
    assert_eq!(
        when(&[created()], RoleChange::Revoke(Permission::SessionsRead)),
        Ok(vec![revoked.clone()])
    );
    assert_eq!(
        given(&[created(), revoked]).permissions,
        [Permission::CustomersRead].into_iter().collect()
    );
}

#[test]
fn a_deleted_role_grants_nothing() {
    let role = given(&[created(), deleted()]);
    assert!(!role.is_live());
    assert!(role.permissions.is_empty());
    assert_eq!(role.version, 2);
}

#[test]
fn an_edit_records_only_what_it_changes_and_not_on_a_deleted_role() {
    let edit = RoleCommand::Edit(vec![
        RoleChange::Rename(name("support")),
        RoleChange::Describe(Description::parse("Answers customers").expect("valid")),
    ]);
    assert_eq!(
        decide(&given(&[created()]), edit.clone(), t(5)),
        Ok(vec![RoleEvent::Described(RoleDescribed {
            role_id: ROLE,
            description: "Answers customers".into(),
            described_at: t(5),
        })])
    );
    assert_eq!(
        decide(&given(&[created(), deleted()]), edit, t(5)),
        Err(RoleError::NotFound)
    );
}
