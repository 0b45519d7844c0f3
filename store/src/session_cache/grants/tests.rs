//! Folding grants from user and role events, and what they allow.

use chrono::Utc;
use events::Permission;
use events::roles::*;
use events::users::*;
use uuid::Uuid;

use super::*;

const USER: Uuid = Uuid::from_u128(1);
const ROLE: Uuid = Uuid::from_u128(2);

fn principal(events: &[UserEvent]) -> PrincipalGrants {
    events
        .iter()
        .zip(1..)
        .fold(PrincipalGrants::default(), |g, (e, v)| g.evolve(v, e))
}

fn role(events: &[RoleEvent]) -> RolePermissions {
    events
        .iter()
        .zip(1..)
        .fold(RolePermissions::default(), |r, (e, v)| r.evolve(v, e))
}

fn created(permissions: Vec<Permission>) -> RoleEvent {
    RoleEvent::Created(RoleCreated {
        role_id: ROLE,
        name: "auditor".into(),
        description: String::new(),
        permissions,
        created_at: Utc::now(),
    })
}

fn assigned() -> UserEvent {
    UserEvent::RoleAssigned(UserRoleAssigned {
        user_id: USER,
        role_id: ROLE,
        assigned_at: Utc::now(),
    })
}

#[test]
fn a_principal_holds_the_union_of_its_live_roles_permissions() {
    let holder = principal(&[assigned()]);
    let auditor = role(&[
        created(vec![Permission::AuditRead, Permission::UsersRead]),
        RoleEvent::PermissionRevoked(RolePermissionRevoked {
            role_id: ROLE,
            permission: Permission::UsersRead,
            revoked_at: Utc::now(),
        }),
    ]);
    let effective = Effective::of(&holder, std::slice::from_ref(&auditor));
    assert!(effective.allows(Permission::AuditRead));
    assert!(!effective.allows(Permission::UsersRead));
    assert_eq!(auditor.version, 2);

    let deleted = role(&[
        created(vec![Permission::AuditRead]),
        RoleEvent::Deleted(RoleDeleted {
            role_id: ROLE,
            deleted_at: Utc::now(),
        }),
    ]);
    assert!(!Effective::of(&holder, &[deleted]).allows(Permission::AuditRead));
}

#[test]
fn a_disabled_principal_holds_nothing_until_enabled() {
    let auditor = role(&[created(vec![Permission::AuditRead])]);
    let disabled = UserEvent::Disabled(UserDisabled {
        user_id: USER,
        disabled_at: Utc::now(),
    });
    let holder = principal(&[assigned(), disabled.clone()]);
    let effective = Effective::of(&holder, std::slice::from_ref(&auditor));
    assert!(effective.permissions.is_empty());
    assert!(!effective.allows(Permission::AuditRead));
    let enabled = UserEvent::Enabled(UserEnabled {
        user_id: USER,
        enabled_at: Utc::now(),
    });
    let holder = principal(&[assigned(), disabled, enabled]);
    assert!(Effective::of(&holder, &[auditor]).allows(Permission::AuditRead));
}
