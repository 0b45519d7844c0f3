//! The cache's reducer, given events → expected view: what each event changes, and the fold of
//! a stream that a rebuild writes.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use events::sessions::{
    LoginLockedOut, RefreshTokenReuseDetected, RevocationReason, SessionEvent, SessionRefreshed,
    SessionRevoked, SessionStarted,
};
use events::{Actor, Envelope, EventMetadata, PrincipalType, Recorded};
use uuid::Uuid;

use super::{CachedSession, Change, Update, change, fold};

const PRINCIPAL: Uuid = Uuid::from_u128(7);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0)
        .single()
        .expect("time")
}

fn recorded(version: i64, event: SessionEvent) -> Recorded<SessionEvent> {
    Recorded {
        envelope: Envelope {
            event_id: Uuid::now_v7(),
            stream_id: format!("sessions-{PRINCIPAL}"),
            version,
            recorded_at: at(version),
            metadata: EventMetadata::new(None),
        },
        event,
    }
}

fn started(session_id: Uuid, seconds: i64) -> SessionEvent {
    SessionEvent::Started(SessionStarted {
        session_id,
        principal_id: PRINCIPAL,
        principal_type: PrincipalType::User,
        refresh_token_hash: "hash".into(),
        user_agent: Some("agent".into()),
        ip: Some("192.0.2.1".into()),
        started_at: at(seconds),
        idle_timeout_secs: 1800,
        expires_at: at(seconds) + Duration::hours(8),
    })
}

fn refreshed(session_id: Uuid, seconds: i64) -> SessionEvent {
    SessionEvent::Refreshed(SessionRefreshed {
        session_id,
        refresh_token_hash: "next".into(),
        refreshed_at: at(seconds),
    })
}

fn revoked(session_id: Uuid, reason: RevocationReason) -> SessionEvent {
    SessionEvent::Revoked(SessionRevoked {
        session_id,
        reason,
        metadata: BTreeMap::new(),
        revoked_by: Actor::User(PRINCIPAL),
        revoked_at: at(100),
    })
}

fn reuse_detected(session_id: Uuid) -> SessionEvent {
    SessionEvent::RefreshTokenReuseDetected(RefreshTokenReuseDetected {
        session_id,
        detected_at: at(60),
        user_agent: None,
        ip: None,
    })
}

fn entry(session_id: Uuid, seconds: i64, version: i64) -> CachedSession {
    CachedSession {
        session_id,
        principal_id: PRINCIPAL,
        principal_type: PrincipalType::User,
        revoked: None,
        started_at: at(seconds),
        last_used_at: at(seconds),
        idle_timeout_secs: 1800,
        expires_at: at(seconds) + Duration::hours(8),
        user_agent: Some("agent".into()),
        ip: Some("192.0.2.1".into()),
        version,
    }
}

#[test]
fn a_started_session_is_a_whole_active_entry_at_its_version() {
    let id = Uuid::now_v7();
    assert_eq!(
        change(&recorded(3, started(id, 10))),
        Change::Put(entry(id, 10, 3))
    );
}

#[test]
fn a_refresh_moves_last_use_and_a_revocation_records_its_reason() {
    let id = Uuid::now_v7();
    assert_eq!(
        change(&recorded(4, refreshed(id, 50))),
        Change::Update {
            session_id: id,
            version: 4,
            update: Update::Used(at(50)),
        }
    );
    assert_eq!(
        change(&recorded(5, revoked(id, RevocationReason::AdminRevoke))),
        Change::Update {
            session_id: id,
            version: 5,
            update: Update::Revoked("ADMIN_REVOKE".into()),
        }
    );
}

#[test]
fn reuse_alerts_and_lockouts_change_no_entry() {
    assert_eq!(
        change(&recorded(6, reuse_detected(Uuid::now_v7()))),
        Change::None
    );
    let locked = SessionEvent::LoginLockedOut(LoginLockedOut {
        failed_attempts: 5,
        lockout_count: 1,
        locked_at: at(30),
        locked_until: at(900),
    });
    assert_eq!(change(&recorded(7, locked)), Change::None);
}

#[test]
fn a_stream_folds_into_each_session_at_the_version_that_last_changed_it() {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let history = [
        recorded(1, started(a, 0)),
        recorded(2, started(b, 5)),
        recorded(3, refreshed(a, 40)),
        recorded(4, revoked(b, RevocationReason::UserLogout)),
        recorded(5, reuse_detected(a)),
    ];

    let mut used = entry(a, 0, 3);
    used.last_used_at = at(40);
    let mut ended = entry(b, 5, 4);
    ended.revoked = Some("USER_LOGOUT".into());
    assert_eq!(fold(&history), BTreeMap::from([(a, used), (b, ended)]));
}

#[test]
fn an_update_of_a_session_the_stream_never_started_is_ignored() {
    let history = [recorded(1, refreshed(Uuid::now_v7(), 10))];
    assert!(fold(&history).is_empty());
}
