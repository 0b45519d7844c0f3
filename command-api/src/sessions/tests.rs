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

fn sid(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0001_0000 + n)
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
        refresh_token_hash: format!("h0-{session_id}"),
        user_agent: None,
        ip: None,
        started_at: at,
        idle_timeout_secs: 30 * 60,
        expires_at: at + Duration::hours(10),
    })
}

fn refreshed(session_id: Uuid, hash: &str, at: DateTime<Utc>) -> SessionEvent {
    SessionEvent::Refreshed(SessionRefreshed {
        session_id,
        refresh_token_hash: hash.into(),
        refreshed_at: at,
    })
}

fn revoked(
    session_id: Uuid,
    reason: RevocationReason,
    by: Actor,
    at: DateTime<Utc>,
) -> SessionEvent {
    revoked_with(session_id, reason, BTreeMap::new(), by, at)
}

fn revoked_with(
    session_id: Uuid,
    reason: RevocationReason,
    metadata: BTreeMap<String, String>,
    by: Actor,
    at: DateTime<Utc>,
) -> SessionEvent {
    SessionEvent::Revoked(SessionRevoked {
        session_id,
        reason,
        metadata,
        revoked_by: by,
        revoked_at: at,
    })
}

fn start(session_id: Uuid, limit: usize) -> Command {
    Command::Start(StartSession {
        session_id,
        principal_id: PRINCIPAL,
        principal_type: PrincipalType::User,
        refresh_token_hash: format!("h0-{session_id}"),
        user_agent: None,
        ip: None,
        idle_timeout: Duration::minutes(30),
        lifetime: Duration::hours(10),
        limit,
    })
}

fn refresh(presented: &str, new: &str, grace: Duration) -> Command {
    Command::Refresh(Refresh {
        session_id: SESSION,
        presented_hash: presented.into(),
        new_hash: new.into(),
        grace,
        user_agent: Some("curl/8".into()),
        ip: Some("10.0.0.9".into()),
    })
}

fn revoke(session_id: Uuid, reason: RevocationReason, authority: Authority) -> Command {
    Command::Revoke(Revoke {
        session_id,
        reason,
        metadata: BTreeMap::from([("ticket".into(), "SEC-1".into())]),
        actor: Actor::User(PRINCIPAL),
        authority,
    })
}

fn logout(session_id: Uuid) -> Command {
    revoke(session_id, RevocationReason::UserLogout, Authority::Owner)
}

#[test]
fn a_login_starts_a_session_with_its_idle_timeout_and_absolute_expiry() {
    let events = decide(&given(&[]), start(SESSION, 5), t(0)).expect("decides");
    assert_eq!(events, vec![started(SESSION, t(0))]);
}

#[test]
fn a_session_id_cannot_start_twice() {
    let state = given(&[started(SESSION, t(0))]);
    assert_eq!(
        decide(&state, start(SESSION, 5), t(1)),
        Err(SessionError::AlreadyStarted)
    );
}

#[test]
fn the_login_past_the_limit_evicts_the_least_recently_used_session_in_the_same_append() {
    // Five sessions; the first is the oldest but was refreshed, so the second is the LRU.
    let mut history: Vec<SessionEvent> = (1..=5).map(|n| started(sid(n), t(n as i64))).collect();
    history.push(refreshed(sid(1), "h1", t(10)));
    let state = given(&history);
    let events = decide(&state, start(sid(6), 5), t(11)).expect("decides");
    assert_eq!(
        events,
        vec![
            revoked_with(
                sid(2),
                RevocationReason::SessionLimitEviction,
                BTreeMap::from([("evicted_for".into(), sid(6).to_string())]),
                Actor::System("session-limit".into()),
                t(11)
            ),
            started(sid(6), t(11)),
        ]
    );
}

#[test]
fn ended_sessions_do_not_count_towards_the_limit() {
    let state = given(&[
        started(sid(1), t(0)),
        started(sid(2), t(1)),
        revoked(
            sid(1),
            RevocationReason::UserLogout,
            Actor::User(PRINCIPAL),
            t(2),
        ),
    ]);
    let events = decide(&state, start(sid(3), 2), t(3)).expect("decides");
    assert_eq!(events, vec![started(sid(3), t(3))]);
    // sid(2) idles out at t(31): the next login needs no eviction either.
    let later = given(&[started(sid(1), t(0)), started(sid(2), t(1))]);
    assert_eq!(
        decide(&later, start(sid(3), 2), t(40)).expect("decides"),
        vec![started(sid(3), t(40))]
    );
}

#[test]
fn a_refresh_with_the_current_token_rotates_it() {
    let state = given(&[started(SESSION, t(0))]);
    let current = format!("h0-{SESSION}");
    let events = decide(&state, refresh(&current, "h1", Duration::zero()), t(5)).expect("decides");
    assert_eq!(events, vec![refreshed(SESSION, "h1", t(5))]);
    let after = state.evolve(2, &events[0]);
    let session = after.get(SESSION).expect("session");
    assert_eq!(session.refresh_token_hash, "h1");
    assert_eq!(session.last_used_at, t(5));
    assert_eq!(session.spent, [Spent(current, t(5))]);
}

#[test]
fn a_spent_refresh_token_presented_again_revokes_the_session() {
    let state = given(&[started(SESSION, t(0)), refreshed(SESSION, "h1", t(5))]);
    let spent = format!("h0-{SESSION}");
    let events = decide(&state, refresh(&spent, "h2", Duration::zero()), t(6)).expect("decides");
    assert_eq!(
        events,
        vec![
            SessionEvent::RefreshTokenReuseDetected(RefreshTokenReuseDetected {
                session_id: SESSION,
                detected_at: t(6),
                user_agent: Some("curl/8".into()),
                ip: Some("10.0.0.9".into()),
            }),
            revoked_with(
                SESSION,
                RevocationReason::RefreshTokenReuse,
                BTreeMap::from([
                    ("ip".into(), "10.0.0.9".into()),
                    ("user_agent".into(), "curl/8".into())
                ]),
                Actor::System("refresh-token-reuse".into()),
                t(6)
            ),
        ]
    );
    let after = events
        .iter()
        .zip(3..)
        .fold(state, |s, (e, v)| s.evolve(v, e));
    assert_eq!(
        decide(&after, refresh("h1", "h3", Duration::zero()), t(7)),
        Err(SessionError::NotActive),
        "the legitimate holder's token dies with the session"
    );
}

#[test]
fn a_client_retrying_a_refresh_within_the_grace_period_gets_new_tokens() {
    let state = given(&[started(SESSION, t(0)), refreshed(SESSION, "h1", t(5))]);
    let spent = format!("h0-{SESSION}");
    let events = decide(
        &state,
        refresh(&spent, "h2", Duration::minutes(1)),
        t(5) + Duration::seconds(30),
    )
    .expect("decides");
    assert_eq!(
        events,
        vec![refreshed(SESSION, "h2", t(5) + Duration::seconds(30))]
    );
}

#[test]
fn a_refresh_token_never_issued_for_the_session_changes_nothing() {
    let state = given(&[started(SESSION, t(0))]);
    assert_eq!(
        decide(&state, refresh("forged", "h1", Duration::zero()), t(1)),
        Err(SessionError::UnknownRefreshToken)
    );
}

#[test]
fn an_ended_session_cannot_be_refreshed() {
    let current = format!("h0-{SESSION}");
    let idle = given(&[started(SESSION, t(0))]);
    assert_eq!(
        decide(&idle, refresh(&current, "h1", Duration::zero()), t(30)),
        Err(SessionError::NotActive)
    );
    let revoked_state = given(&[
        started(SESSION, t(0)),
        revoked(
            SESSION,
            RevocationReason::AdminRevoke,
            Actor::System("t".into()),
            t(1),
        ),
    ]);
    assert_eq!(
        decide(
            &revoked_state,
            refresh(&current, "h1", Duration::zero()),
            t(2)
        ),
        Err(SessionError::NotActive)
    );
}

#[test]
fn logout_revokes_an_active_session_with_reason_metadata_and_actor() {
    let state = given(&[started(SESSION, t(0))]);
    let events = decide(&state, logout(SESSION), t(5)).expect("decides");
    assert_eq!(
        events,
        vec![revoked_with(
            SESSION,
            RevocationReason::UserLogout,
            BTreeMap::from([("ticket".into(), "SEC-1".into())]),
            Actor::User(PRINCIPAL),
            t(5)
        )]
    );
    let after = state.evolve(2, &events[0]);
    assert!(!after.get(SESSION).expect("session").is_active(t(6)));
}

#[test]
fn each_authority_gives_only_its_reasons() {
    use RevocationReason::*;
    let state = given(&[started(SESSION, t(0))]);
    for (authority, reason, allowed) in [
        (Authority::Owner, UserLogout, true),
        (Authority::Owner, SecurityAlert, true),
        (Authority::Owner, AdminRevoke, false),
        (Authority::Owner, SessionLimitEviction, false),
        (Authority::Administrator, AdminRevoke, true),
        (Authority::Administrator, PasswordChanged, false),
        (Authority::Administrator, RefreshTokenReuse, false),
        (Authority::System, PrincipalErased, true),
    ] {
        let result = decide(&state, revoke(SESSION, reason, authority), t(1));
        assert_eq!(
            result.is_ok(),
            allowed,
            "{authority:?} giving {reason}: {result:?}"
        );
        if !allowed {
            assert_eq!(result, Err(SessionError::ReasonNotAllowed(reason)));
        }
    }
}

#[test]
fn revoking_an_unknown_or_ended_session_is_refused() {
    let state = given(&[
        started(SESSION, t(0)),
        revoked(
            SESSION,
            RevocationReason::AdminRevoke,
            Actor::System("t".into()),
            t(1),
        ),
    ]);
    assert_eq!(
        decide(&state, logout(Uuid::now_v7()), t(2)),
        Err(SessionError::NotFound)
    );
    assert_eq!(
        decide(&state, logout(SESSION), t(2)),
        Err(SessionError::NotActive)
    );
}

#[test]
fn revoke_all_ends_every_active_session_and_only_those() {
    let state = given(&[
        started(sid(1), t(0)),
        started(sid(2), t(1)),
        started(sid(3), t(2)),
        revoked(
            sid(2),
            RevocationReason::UserLogout,
            Actor::User(PRINCIPAL),
            t(3),
        ),
    ]);
    let command = Command::RevokeAll(RevokeAll {
        reason: RevocationReason::SecurityAlert,
        metadata: BTreeMap::new(),
        actor: Actor::User(PRINCIPAL),
        authority: Authority::Owner,
        scope: Scope::All,
    });
    let events = decide(&state, command.clone(), t(4)).expect("decides");
    let by = Actor::User(PRINCIPAL);
    assert_eq!(
        events,
        vec![
            revoked(sid(1), RevocationReason::SecurityAlert, by.clone(), t(4)),
            revoked(sid(3), RevocationReason::SecurityAlert, by, t(4)),
        ]
    );
    let none_left = events
        .iter()
        .zip(5..)
        .fold(state, |s, (e, v)| s.evolve(v, e));
    assert_eq!(decide(&none_left, command, t(5)), Ok(vec![]));
}

#[test]
fn revocation_metadata_is_bounded() {
    let state = given(&[started(SESSION, t(0))]);
    let too_many: BTreeMap<String, String> = (0..=MAX_METADATA_ENTRIES)
        .map(|i| (format!("k{i}"), "v".into()))
        .collect();
    let too_long = BTreeMap::from([("k".into(), "v".repeat(MAX_METADATA_VALUE_LEN + 1))]);
    let long_key = BTreeMap::from([("k".repeat(MAX_METADATA_KEY_LEN + 1), "v".into())]);
    let empty_key = BTreeMap::from([(String::new(), "v".into())]);
    for metadata in [too_many, too_long, long_key, empty_key] {
        let command = Command::Revoke(Revoke {
            session_id: SESSION,
            reason: RevocationReason::AdminRevoke,
            metadata,
            actor: Actor::System("test".into()),
            authority: Authority::Administrator,
        });
        assert!(matches!(
            decide(&state, command, t(1)),
            Err(SessionError::InvalidMetadata(_))
        ));
    }
}

#[test]
fn a_lockout_is_recorded_as_an_event() {
    let command = Command::RecordLockout(RecordLockout {
        failed_attempts: 5,
        lockout_count: 2,
        locked_until: t(2),
    });
    assert_eq!(
        decide(&given(&[]), command, t(0)).expect("decides"),
        vec![SessionEvent::LoginLockedOut(LoginLockedOut {
            failed_attempts: 5,
            lockout_count: 2,
            locked_at: t(0),
            locked_until: t(2),
        })]
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
    let state = given(&[started(SESSION, t(0)), refreshed(SESSION, "h2", t(25))]);
    let session = state.get(SESSION).expect("session");
    assert_eq!(session.idle_expires_at(), t(55));
    assert_eq!(session.expires_at, t(600));
    assert!(session.is_active(t(50)));
}

#[test]
fn a_session_past_its_absolute_lifetime_is_no_longer_active() {
    let mut history = vec![started(SESSION, t(0))];
    for minute in (20..=600).step_by(20) {
        history.push(refreshed(SESSION, &format!("h{minute}"), t(minute)));
    }
    let state = given(&history);
    assert_eq!(
        decide(&state, logout(SESSION), t(600)),
        Err(SessionError::NotActive)
    );
}

#[test]
fn a_snapshot_keeps_what_can_still_change_and_round_trips() {
    let state = given(&[
        started(sid(1), t(0)),
        revoked(
            sid(1),
            RevocationReason::UserLogout,
            Actor::User(PRINCIPAL),
            t(1),
        ),
        started(sid(2), t(2)),
        refreshed(sid(2), "h1", t(3)),
    ]);
    let kept = state.clone().without_ended_before(t(10));
    assert!(kept.get(sid(1)).is_none(), "long ended: dropped");
    assert_eq!(kept.get(sid(2)), state.get(sid(2)));
    assert_eq!(kept.version, 4);
    let json = serde_json::to_value(&kept).expect("serializes");
    assert_eq!(
        serde_json::from_value::<Sessions>(json).expect("deserializes"),
        kept
    );
}

#[test]
fn without_a_grace_period_even_an_immediate_second_use_is_reuse() {
    let state = given(&[started(SESSION, t(0)), refreshed(SESSION, "h1", t(5))]);
    let spent = format!("h0-{SESSION}");
    let events = decide(&state, refresh(&spent, "h2", Duration::zero()), t(5)).expect("decides");
    assert!(matches!(
        events.as_slice(),
        [
            SessionEvent::RefreshTokenReuseDetected(_),
            SessionEvent::Revoked(_)
        ]
    ));
}

#[test]
fn without_a_grace_period_a_clock_behind_the_spender_still_sees_reuse() {
    // Spent by an instance whose clock read t(5); presented again at one whose clock is behind.
    let state = given(&[started(SESSION, t(0)), refreshed(SESSION, "h1", t(5))]);
    let spent = format!("h0-{SESSION}");
    let events = decide(&state, refresh(&spent, "h2", Duration::zero()), t(2)).expect("decides");
    assert!(matches!(
        events.as_slice(),
        [
            SessionEvent::RefreshTokenReuseDetected(_),
            SessionEvent::Revoked(_)
        ]
    ));
}

#[test]
fn a_scoped_revoke_all_spares_the_kept_session_and_those_started_after_its_moment() {
    let state = given(&[
        started(sid(1), t(0)),
        started(sid(2), t(1)),
        started(sid(3), t(3)),
    ]);
    let by = Actor::System("password-change".into());
    let command = Command::RevokeAll(RevokeAll {
        reason: RevocationReason::PasswordChanged,
        metadata: BTreeMap::new(),
        actor: by.clone(),
        authority: Authority::System,
        scope: Scope::StartedBy {
            moment: t(2),
            except: Some(sid(2)),
        },
    });
    assert_eq!(
        decide(&state, command, t(4)),
        Ok(vec![revoked(
            sid(1),
            RevocationReason::PasswordChanged,
            by,
            t(4)
        )])
    );
}

#[test]
fn a_principal_that_logs_in_over_and_over_keeps_only_the_recently_ended_sessions() {
    let mut history = Vec::new();
    for n in 0..40 {
        history.push(started(sid(n), t(n as i64)));
        history.push(revoked(
            sid(n),
            RevocationReason::UserLogout,
            Actor::User(PRINCIPAL),
            t(n as i64),
        ));
    }
    history.push(started(sid(100), t(50)));
    let state = given(&history);
    assert_eq!(
        state.sessions.len(),
        ENDED_KEPT + 1,
        "the ended ones are bounded"
    );
    let kept_from = 40 - ENDED_KEPT as u128;
    assert!(
        state.get(sid(kept_from - 1)).is_none(),
        "the oldest ended: forgotten"
    );
    assert_eq!(
        decide(&state, logout(sid(kept_from - 1)), t(51)),
        Err(SessionError::NotFound)
    );
    assert_eq!(
        decide(&state, logout(sid(39)), t(51)),
        Err(SessionError::NotActive),
        "the most recently ended: still known"
    );
    assert!(state.get(sid(100)).is_some_and(|s| s.is_active(t(51))));
}

#[test]
fn a_revoked_session_forgets_its_spent_tokens_and_still_refuses_them() {
    let state = given(&[
        started(SESSION, t(0)),
        refreshed(SESSION, "h1", t(5)),
        refreshed(SESSION, "h2", t(10)),
        revoked(
            SESSION,
            RevocationReason::UserLogout,
            Actor::User(PRINCIPAL),
            t(11),
        ),
    ]);
    assert!(state.get(SESSION).expect("kept").spent.is_empty());
    assert_eq!(
        decide(&state, refresh("h1", "h3", Duration::zero()), t(12)),
        Err(SessionError::NotActive)
    );
}
