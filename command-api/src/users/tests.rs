//! Given these events, when this command, then these events (or this error).

use chrono::{DateTime, Duration, TimeZone, Utc};
use events::users::*;
use uuid::Uuid;

use super::fields::{DisplayName, Email};
use super::*;

const USER: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
const ROLE: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0)
        .single()
        .expect("valid time")
        + Duration::minutes(minutes)
}

fn given(history: &[UserEvent]) -> User {
    history
        .iter()
        .zip(1..)
        .fold(User::default(), |state, (event, version)| {
            state.evolve(version, event)
        })
}

fn registered() -> UserEvent {
    UserEvent::Registered(UserRegistered {
        user_id: USER,
        email: "ada@example.test".into(),
        display_name: "Ada".into(),
        registered_at: t(0),
    })
}

fn when(history: &[UserEvent], change: UserChange) -> Result<Vec<UserEvent>, UserError> {
    decide(&given(history), UserCommand::Change(change), t(5))
}

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("valid email")
}

fn name(raw: &str) -> DisplayName {
    DisplayName::parse(raw).expect("valid name")
}

#[test]
fn registering_records_the_canonical_fields() {
    let registration = Registration {
        user_id: USER,
        email: email(" Ada@Example.TEST "),
        display_name: name(" Ada "),
    };
    assert_eq!(
        decide(&User::default(), UserCommand::Register(registration), t(0)),
        Ok(vec![registered()])
    );
}

#[test]
fn a_user_registers_once() {
    let again = Registration {
        user_id: USER,
        email: email("other@example.test"),
        display_name: name("Other"),
    };
    assert_eq!(
        decide(&given(&[registered()]), UserCommand::Register(again), t(1)),
        Err(UserError::AlreadyRegistered)
    );
}

#[test]
fn nothing_changes_about_a_user_never_registered() {
    for change in [
        UserChange::DisplayName(name("Ada")),
        UserChange::Email(email("ada@example.test")),
        UserChange::Password,
        UserChange::Disable,
        UserChange::Enable,
        UserChange::AssignRole(ROLE),
        UserChange::UnassignRole(ROLE),
    ] {
        assert_eq!(
            when(&[], change.clone()),
            Err(UserError::NotFound),
            "{change:?}"
        );
    }
}

#[test]
fn a_new_display_name_or_email_is_recorded_and_the_same_one_is_not() {
    assert_eq!(
        when(
            &[registered()],
            UserChange::DisplayName(name("Ada Lovelace"))
        ),
        Ok(vec![UserEvent::DisplayNameChanged(
            UserDisplayNameChanged {
                user_id: USER,
                display_name: "Ada Lovelace".into(),
                changed_at: t(5),
            }
        )])
    );
    assert_eq!(
        when(&[registered()], UserChange::DisplayName(name("Ada"))),
        Ok(vec![])
    );
    assert_eq!(
        when(
            &[registered()],
            UserChange::Email(email("lovelace@example.test"))
        ),
        Ok(vec![UserEvent::EmailChanged(UserEmailChanged {
            user_id: USER,
            email: "lovelace@example.test".into(),
            changed_at: t(5),
        })])
    );
    assert_eq!(
        when(
            &[registered()],
            UserChange::Email(email("ADA@example.test"))
        ),
        Ok(vec![])
    );
}

#[test]
fn a_password_change_is_always_recorded_without_the_hash() {
    assert_eq!(
        when(&[registered()], UserChange::Password),
        Ok(vec![UserEvent::PasswordChanged(UserPasswordChanged {
            user_id: USER,
            changed_at: t(5),
        })])
    );
}

#[test]
fn disabling_and_enabling_record_only_a_change() {
    let disabled = UserEvent::Disabled(UserDisabled {
        user_id: USER,
        disabled_at: t(5),
    });
    assert_eq!(
        when(&[registered()], UserChange::Disable),
        Ok(vec![disabled.clone()])
    );
    assert_eq!(
        when(&[registered(), disabled.clone()], UserChange::Disable),
        Ok(vec![])
    );
    assert_eq!(when(&[registered()], UserChange::Enable), Ok(vec![]));
    assert_eq!(
        when(&[registered(), disabled.clone()], UserChange::Enable),
        Ok(vec![UserEvent::Enabled(UserEnabled {
            user_id: USER,
            enabled_at: t(5),
        })])
    );
    assert!(given(&[registered(), disabled]).disabled);
}

#[test]
fn a_role_is_held_once_and_taken_only_when_held() {
    let assigned = UserEvent::RoleAssigned(UserRoleAssigned {
        user_id: USER,
        role_id: ROLE,
        assigned_at: t(5),
    });
    assert_eq!(
        when(&[registered()], UserChange::AssignRole(ROLE)),
        Ok(vec![assigned.clone()])
    );
    assert_eq!(
        when(
            &[registered(), assigned.clone()],
            UserChange::AssignRole(ROLE)
        ),
        Ok(vec![])
    );
    assert_eq!(
        when(&[registered()], UserChange::UnassignRole(ROLE)),
        Ok(vec![])
    );
    let unassigned = UserEvent::RoleUnassigned(UserRoleUnassigned {
        user_id: USER,
        role_id: ROLE,
        unassigned_at: t(5),
    });
    assert_eq!(
        when(
            &[registered(), assigned.clone()],
            UserChange::UnassignRole(ROLE)
        ),
        Ok(vec![unassigned.clone()])
    );
    assert!(
        given(&[registered(), assigned, unassigned])
            .roles
            .is_empty()
    );
}

#[test]
fn the_state_records_every_change_at_its_version() {
    let user = given(&[
        registered(),
        UserEvent::EmailChanged(UserEmailChanged {
            user_id: USER,
            email: "lovelace@example.test".into(),
            changed_at: t(1),
        }),
        UserEvent::DisplayNameChanged(UserDisplayNameChanged {
            user_id: USER,
            display_name: "Countess".into(),
            changed_at: t(2),
        }),
    ]);
    assert_eq!(user.id, Some(USER));
    assert_eq!(user.email, "lovelace@example.test");
    assert_eq!(user.display_name, "Countess");
    assert_eq!(user.version, 3);
}

#[test]
fn an_edit_records_only_the_fields_it_changes_and_needs_a_registered_user() {
    let edit = UserCommand::Edit(vec![
        UserChange::DisplayName(name("Ada")),
        UserChange::Email(email("ada.lovelace@example.test")),
    ]);
    assert_eq!(
        decide(&given(&[registered()]), edit.clone(), t(5)),
        Ok(vec![UserEvent::EmailChanged(UserEmailChanged {
            user_id: USER,
            email: "ada.lovelace@example.test".into(),
            changed_at: t(5),
        })])
    );
    assert_eq!(
        decide(&User::default(), edit, t(5)),
        Err(UserError::NotFound)
    );
}
