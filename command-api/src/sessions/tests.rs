//! Given these events, when this command, then these events (or this error).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use events::sessions::*;
use events::{Actor, PrincipalType};
use uuid::Uuid;

use super::*;

const PRINCIPAL: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
const SESSION: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
        .single()
        .expect("valid time")
        + Duration::minutes(minutes)
}

fn given(history: &[SessionEvent]) -> Sessions {
    history
        .iter()
        .zip(1..)
        .fold(Sessions::default(), |state, (event, version)| {
            state.evolve(version, event)
        })
}

fn started(session_id: Uuid, at: DateTime<Utc>) -> SessionEvent {
    SessionEvent::Started(SessionStarted {
        session_id,
        principal_id: PRINCIPAL,
        principal_type: PrincipalType::User,
        refresh_token_hash: "h1".into(),
        user_agent: None,
        ip: None,
        started_at: at,
        idle_timeout_secs: 30 * 60,
        expires_at: at + Duration::hours(10),
    })
}

fn revoked(session_id: Uuid, reason: RevocationReason, at: DateTime<Utc>) -> SessionEvent {
    SessionEvent::Revoked(SessionRevoked {
        session_id,
        reason,
        metadata: BTreeMap::new(),
        revoked_by: Actor::User(PRINCIPAL),
        revoked_at: at,
    })
}

fn logout(session_id: Uuid) -> Command {
    Command::Revoke(Revoke {
        session_id,
        reason: RevocationReason::UserLogout,
        metadata: BTreeMap::from([("user_agent".into(), "curl/8".into())]),
        actor: Actor::User(PRINCIPAL),
    })
}

#[test]
fn a_login_starts_a_session_with_its_idle_timeout_and_absolute_expiry() {
    let command = Command::Start(StartSession {
        session_id: SESSION,
        principal_id: PRINCIPAL,
        principal_type: PrincipalType::Customer,
        refresh_token_hash: "h1".into(),
        user_agent: Some("curl/8".into()),
        ip: Some("127.0.0.1".into()),
        idle_timeout: Duration::minutes(30),
        lifetime: Duration::hours(10),
    });
    let events = decide(&given(&[]), command, t(0)).expect("decides");
    assert_eq!(
        events,
        vec![SessionEvent::Started(SessionStarted {
            session_id: SESSION,
            principal_id: PRINCIPAL,
            principal_type: PrincipalType::Customer,
            refresh_token_hash: "h1".into(),
            user_agent: Some("curl/8".into()),
            ip: Some("127.0.0.1".into()),
            started_at: t(0),
            idle_timeout_secs: 1800,
            expires_at: t(600),
        })]
    );
}

#[test]
fn a_session_id_cannot_start_twice() {
    let state = given(&[started(SESSION, t(0))]);
    let command = Command::Start(StartSession {
        session_id: SESSION,
        principal_id: PRINCIPAL,
        principal_type: PrincipalType::User,
        refresh_token_hash: "h2".into(),
        user_agent: None,
        ip: None,
        idle_timeout: Duration::minutes(30),
        lifetime: Duration::hours(10),
    });
    assert_eq!(
        decide(&state, command, t(1)),
        Err(SessionError::AlreadyStarted)
    );
}

#[test]
fn logout_revokes_an_active_session_with_reason_metadata_and_actor() {
    let state = given(&[started(SESSION, t(0))]);
    let events = decide(&state, logout(SESSION), t(5)).expect("decides");
    assert_eq!(
        events,
        vec![SessionEvent::Revoked(SessionRevoked {
            session_id: SESSION,
            reason: RevocationReason::UserLogout,
            metadata: BTreeMap::from([("user_agent".into(), "curl/8".into())]),
            revoked_by: Actor::User(PRINCIPAL),
            revoked_at: t(5),
        })]
    );
    let after = state.evolve(2, &events[0]);
    assert!(!after.get(SESSION).expect("session").is_active(t(6)));
}

#[test]
fn revoking_an_unknown_session_is_not_found() {
    let state = given(&[started(SESSION, t(0))]);
    assert_eq!(
        decide(&state, logout(Uuid::now_v7()), t(1)),
        Err(SessionError::NotFound)
    );
}

#[test]
fn revoking_a_revoked_session_is_refused() {
    let state = given(&[
        started(SESSION, t(0)),
        revoked(SESSION, RevocationReason::AdminRevoke, t(1)),
    ]);
    assert_eq!(
        decide(&state, logout(SESSION), t(2)),
        Err(SessionError::NotActive)
    );
}

#[test]
fn a_session_idle_past_its_timeout_is_no_longer_active() {
    let state = given(&[started(SESSION, t(0))]);
    assert!(state.get(SESSION).expect("session").is_active(t(29)));
    assert_eq!(
        decide(&state, logout(SESSION), t(30)),
        Err(SessionError::NotActive)
    );
}

#[test]
fn a_refresh_moves_the_idle_expiry_but_not_the_absolute_one() {
    let state = given(&[
        started(SESSION, t(0)),
        SessionEvent::Refreshed(SessionRefreshed {
            session_id: SESSION,
            refresh_token_hash: "h2".into(),
            refreshed_at: t(25),
        }),
    ]);
    let session = state.get(SESSION).expect("session");
    assert_eq!(session.idle_expires_at(), t(55));
    assert_eq!(session.expires_at, t(600));
    assert_eq!(session.refresh_token_hash, "h2");
    assert!(session.is_active(t(50)));
}

#[test]
fn a_session_past_its_absolute_lifetime_is_no_longer_active() {
    let mut history = vec![started(SESSION, t(0))];
    for minute in (20..=600).step_by(20) {
        history.push(SessionEvent::Refreshed(SessionRefreshed {
            session_id: SESSION,
            refresh_token_hash: format!("h{minute}"),
            refreshed_at: t(minute),
        }));
    }
    let state = given(&history);
    assert_eq!(
        decide(&state, logout(SESSION), t(600)),
        Err(SessionError::NotActive)
    );
}

#[test]
fn revocation_metadata_is_bounded() {
    let state = given(&[started(SESSION, t(0))]);
    let too_many: BTreeMap<String, String> = (0..=MAX_METADATA_ENTRIES)
        .map(|i| (format!("k{i}"), "v".into()))
        .collect();
    let too_long = BTreeMap::from([("k".into(), "v".repeat(MAX_METADATA_VALUE_LEN + 1))]);
    let empty_key = BTreeMap::from([(String::new(), "v".into())]);
    for metadata in [too_many, too_long, empty_key] {
        let command = Command::Revoke(Revoke {
            session_id: SESSION,
            reason: RevocationReason::AdminRevoke,
            metadata,
            actor: Actor::System("test".into()),
        });
        assert!(matches!(
            decide(&state, command, t(1)),
            Err(SessionError::InvalidMetadata(_))
        ));
    }
}
