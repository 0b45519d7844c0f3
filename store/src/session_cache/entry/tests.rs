//! The stored form of an entry, given an entry → the fields `apply.lua` writes → the entry read
//! back from them.

use chrono::Duration;

use super::*;

fn session(revoked: Option<&str>, user_agent: Option<&str>, ip: Option<&str>) -> CachedSession {
    let at = DateTime::from_timestamp_micros(1_800_000_000_123_456).expect("a time");
    CachedSession {
        session_id: Uuid::from_u128(1),
        principal_id: Uuid::from_u128(2),
        principal_type: PrincipalType::User,
        revoked: revoked.map(str::to_owned),
        started_at: at,
        last_used_at: at + Duration::microseconds(7),
        idle_timeout_secs: 1800,
        expires_at: at + Duration::hours(10),
        user_agent: user_agent.map(str::to_owned),
        ip: ip.map(str::to_owned),
        version: 3,
    }
}

/// The hash `apply.lua` writes for `session` (its put, named as the script names the fields).
fn hash(session: &CachedSession, keep_until: DateTime<Utc>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let id = session.session_id.as_bytes();
    let named = |suffix: Option<u8>| [id.as_slice(), suffix.as_slice()].concat();
    let mut stored = stored(session, keep_until).into_iter();
    let mut fields = vec![(VERSION_FIELD.to_vec(), b"9".to_vec())];
    fields.push((named(None), stored.next().expect("a record")));
    fields.push((named(Some(REASON)), stored.next().expect("a reason")));
    fields.extend(
        (FIRST_PIECE..)
            .zip(stored)
            .map(|(at, piece)| (named(Some(at)), piece)),
    );
    fields.retain(|(_, value)| !value.is_empty());
    fields
}

fn round_trip(
    session: &CachedSession,
    keep_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<CachedSession> {
    let (version, sessions) = decode_all(session.principal_id, hash(session, keep_until), now)?;
    assert_eq!(version, 9);
    sessions.into_iter().next()
}

#[test]
fn an_entry_reads_back_as_written_to_the_microsecond() {
    let browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                   Gecko) Chrome/131.0.0.0 Safari/537.36 with more than two pieces of text";
    for (revoked, user_agent, ip) in [
        (None, Some("agent"), Some("203.0.113.7")),
        (Some("LOGOUT"), Some(browser), Some("2001:db8::1")),
        (None, Some(browser), None),
        (None, None, Some("203.0.113.7")),
        (None, None, None),
    ] {
        let session = session(revoked, user_agent, ip);
        let keep = session.expires_at;
        assert_eq!(
            round_trip(&session, keep, session.started_at),
            Some(session)
        );
    }
}

#[test]
fn every_stored_value_fits_a_compact_hash() {
    let long = "x".repeat(512);
    let session = session(Some("ADMIN_REVOKE"), Some(&long), Some("2001:db8::1"));
    let fields = hash(&session, session.expires_at);
    assert!(fields.len() > 10, "a long user agent is cut into pieces");
    assert!(fields.iter().all(|(_, value)| value.len() <= 64));
}

#[test]
fn an_entry_past_its_keeping_reads_as_absent() {
    let session = session(None, None, None);
    let keep = session.started_at;
    assert_eq!(
        round_trip(&session, keep, keep + Duration::milliseconds(1)),
        None
    );
}

#[test]
fn a_short_record_reads_as_absent() {
    let session = session(None, None, None);
    let mut parts: Vec<_> = stored(&session, session.expires_at)
        .into_iter()
        .map(Some)
        .collect();
    parts[0].as_mut().map(Vec::pop);
    let read = decode(
        session.principal_id,
        session.session_id,
        parts,
        session.started_at,
    );
    assert_eq!(read, None);
}
