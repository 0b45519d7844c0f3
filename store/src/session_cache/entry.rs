//! How an entry is stored in its principal's hash (see `apply.lua`): a record of numbers under
//! the session's 16-byte id, and its texts under the id and one letter, each value short enough
//! that Redis keeps a principal's hash as one compact listpack.
//!
//! The record is little-endian doubles (Lua's numbers; every value is an integer below 2^53):
//! the stream version of the entry's last change, its last use (µs), its idle timeout (s), its
//! expiry (µs) and until when the cache keeps it (ms) — what `apply.lua` reads and rewrites —
//! then its start (µs) and one byte for the principal type, which only this module reads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use events::PrincipalType;
use uuid::Uuid;

use super::CachedSession;

/// The field of the stream version up to which the hash holds every session of the principal.
pub(super) const VERSION_FIELD: &[u8] = b"v";
/// The letters of an entry's texts, after its id: user agent, ip, revocation reason.
const TEXTS: [u8; 3] = [b'a', b'i', b'r'];
const NUMBERS: usize = 6;
const RECORD_LEN: usize = NUMBERS * 8 + 1;

/// An entry as `apply.lua` writes it: the record, then the user agent, the ip and the
/// revocation reason, each empty for none.
pub(super) fn stored(session: &CachedSession, keep_until: DateTime<Utc>) -> [Vec<u8>; 4] {
    let numbers = [
        session.version,
        session.last_used_at.timestamp_micros(),
        session.idle_timeout_secs,
        session.expires_at.timestamp_micros(),
        keep_until.timestamp_millis(),
        session.started_at.timestamp_micros(),
    ];
    let mut record = Vec::with_capacity(RECORD_LEN);
    for number in numbers {
        record.extend((number as f64).to_le_bytes());
    }
    record.push(match session.principal_type {
        PrincipalType::User => b'u',
        PrincipalType::Customer => b'c',
    });
    let text = |value: &Option<String>| value.clone().unwrap_or_default().into_bytes();
    [
        record,
        text(&session.user_agent),
        text(&session.ip),
        text(&session.revoked),
    ]
}

/// The entry stored as `parts` (in the order of [`stored`], under the session id and its
/// letters, `None` for a field the hash lacks),
/// if it is whole and still kept at `now`.
pub(super) fn decode(
    principal_id: Uuid,
    session_id: Uuid,
    parts: [Option<Vec<u8>>; 4],
    now: DateTime<Utc>,
) -> Option<CachedSession> {
    let [record, user_agent, ip, revoked] = parts;
    let record = record?;
    if record.len() != RECORD_LEN {
        return None;
    }
    let number = |at: usize| {
        let bytes = record[at * 8..at * 8 + 8].try_into().ok()?;
        Some(f64::from_le_bytes(bytes) as i64)
    };
    let time = |at: usize| DateTime::from_timestamp_micros(number(at)?);
    if number(4)? < now.timestamp_millis() {
        return None;
    }
    let text = |value: Option<Vec<u8>>| String::from_utf8(value?).ok().filter(|t| !t.is_empty());
    Some(CachedSession {
        session_id,
        principal_id,
        principal_type: match record[NUMBERS * 8] {
            b'u' => PrincipalType::User,
            b'c' => PrincipalType::Customer,
            _ => return None,
        },
        revoked: text(revoked),
        started_at: time(5)?,
        last_used_at: time(1)?,
        idle_timeout_secs: number(2)?,
        expires_at: time(3)?,
        user_agent: text(user_agent),
        ip: text(ip),
        version: number(0)?,
    })
}

/// The principal's version and every entry still kept at `now`, from its whole hash as
/// `HGETALL` answers it; `None` without the version field (nothing cached of the principal).
pub(super) fn decode_all(
    principal_id: Uuid,
    hash: Vec<(Vec<u8>, Vec<u8>)>,
    now: DateTime<Utc>,
) -> Option<(i64, Vec<CachedSession>)> {
    let mut version = None;
    let mut parts: BTreeMap<Uuid, [Option<Vec<u8>>; 4]> = BTreeMap::new();
    for (field, value) in hash {
        if field == VERSION_FIELD {
            version = std::str::from_utf8(&value).ok()?.parse().ok();
            continue;
        }
        let Some(id) = field.get(..16).and_then(|id| Uuid::from_slice(id).ok()) else {
            continue;
        };
        let slot = match field.get(16) {
            None => 0,
            Some(letter) => match TEXTS.iter().position(|t| t == letter) {
                Some(at) => at + 1,
                None => continue,
            },
        };
        parts.entry(id).or_default()[slot] = Some(value);
    }
    let sessions = parts
        .into_iter()
        .filter_map(|(id, parts)| decode(principal_id, id, parts, now))
        .collect();
    Some((version?, sessions))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    /// The fields an entry's parts are stored under, in the order of [`stored`].
    fn fields(session_id: Uuid) -> [Vec<u8>; 4] {
        let id = session_id.as_bytes();
        let with = |letter: u8| [id.as_slice(), &[letter]].concat();
        [id.to_vec(), with(TEXTS[0]), with(TEXTS[1]), with(TEXTS[2])]
    }

    fn session(revoked: Option<&str>) -> CachedSession {
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
            user_agent: Some("agent".into()),
            ip: None,
            version: 3,
        }
    }

    fn round_trip(
        session: &CachedSession,
        keep_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<CachedSession> {
        let hash = fields(session.session_id)
            .into_iter()
            .zip(stored(session, keep_until))
            .filter(|(_, value)| !value.is_empty())
            .chain([(VERSION_FIELD.to_vec(), b"9".to_vec())])
            .collect();
        let (version, sessions) = decode_all(session.principal_id, hash, now)?;
        assert_eq!(version, 9);
        sessions.into_iter().next()
    }

    #[test]
    fn an_entry_reads_back_as_written_to_the_microsecond() {
        for revoked in [None, Some("logout")] {
            let session = session(revoked);
            let keep = session.expires_at;
            assert_eq!(
                round_trip(&session, keep, session.started_at),
                Some(session)
            );
        }
    }

    #[test]
    fn an_entry_past_its_keeping_reads_as_absent() {
        let session = session(None);
        let keep = session.started_at;
        assert_eq!(
            round_trip(&session, keep, keep + Duration::milliseconds(1)),
            None
        );
    }

    #[test]
    fn a_short_record_reads_as_absent() {
        let session = session(None);
        let [mut record, agent, ip, reason] = stored(&session, session.expires_at).map(Some);
        record.as_mut().map(|r| r.pop());
        let parts = [record, agent, ip, reason];
        assert_eq!(
            decode(
                session.principal_id,
                session.session_id,
                parts,
                session.started_at
            ),
            None
        );
    }
}
