//! How an entry is stored in its principal's hash (see `apply.lua`), every value at most 64
//! bytes so that Redis keeps a principal's hash as one compact listpack (its default
//! `hash-max-listpack-value`), however long a browser's user agent:
//! - under the session's 16-byte id, a record of little-endian doubles (Lua's numbers; every
//!   value is an integer below 2^53): the stream version of the entry's last change, its last
//!   use (µs), its idle timeout (s), its expiry (µs) and until when the cache keeps it (ms) —
//!   what `apply.lua` reads and rewrites — then its start (µs) and one byte for the principal
//!   type, which only this module reads;
//! - under the id and `r`, the revocation reason, once revoked;
//! - under the id and `0`, `1`, ..., the ip and the user agent (the ip's length in one byte,
//!   the ip, the user agent) in pieces of 64 bytes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use events::PrincipalType;
use uuid::Uuid;

use super::{CachedSession, Update};

/// The field of the stream version up to which the hash holds every session of the principal.
pub(super) const VERSION_FIELD: &[u8] = b"v";
const REASON: u8 = b'r';
const FIRST_PIECE: u8 = b'0';
const PIECE: usize = 64;
const NUMBERS: usize = 6;
const RECORD_LEN: usize = NUMBERS * 8 + 1;

/// An entry as `apply.lua`'s put takes it: the record, the revocation reason (empty for none),
/// then the pieces of its texts.
pub(super) fn stored(session: &CachedSession, keep_until: DateTime<Utc>) -> Vec<Vec<u8>> {
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
    let ip = session.ip.as_deref().unwrap_or_default().as_bytes();
    let user_agent = session.user_agent.as_deref().unwrap_or_default().as_bytes();
    let mut texts = Vec::new();
    if !ip.is_empty() || !user_agent.is_empty() {
        // An ip is at most 45 characters; a longer one is not kept.
        let ip = if ip.len() > usize::from(u8::MAX) {
            &[][..]
        } else {
            ip
        };
        texts.push(ip.len() as u8);
        texts.extend(ip);
        texts.extend(user_agent);
    }
    let reason = session.revoked.clone().unwrap_or_default().into_bytes();
    [record, reason]
        .into_iter()
        .chain(texts.chunks(PIECE).map(<[u8]>::to_vec))
        .collect()
}

/// A change of an entry as `apply.lua`'s update takes it: `used` and the last use (µs), or
/// `revoked` and the reason.
pub(super) fn updated(update: &Update) -> [Vec<u8>; 2] {
    match update {
        Update::Used(at) => [
            b"used".to_vec(),
            at.timestamp_micros().to_string().into_bytes(),
        ],
        Update::Revoked(reason) => [b"revoked".to_vec(), reason.clone().into_bytes()],
    }
}

/// The entry stored as `parts` (what `read.lua` answers for it: the record, the reason, then
/// the pieces of its texts in order, `None` for a field the hash lacks), if it is whole and
/// still kept at `now`.
pub(super) fn decode(
    principal_id: Uuid,
    session_id: Uuid,
    parts: Vec<Option<Vec<u8>>>,
    now: DateTime<Utc>,
) -> Option<CachedSession> {
    let mut parts = parts.into_iter();
    let record = parts.next()??;
    let revoked = parts.next().flatten();
    let texts: Vec<u8> = parts.map_while(|piece| piece).flatten().collect();
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
    let text = |value: &[u8]| {
        String::from_utf8(value.to_vec())
            .ok()
            .filter(|t| !t.is_empty())
    };
    let (ip, user_agent) = match texts.split_first() {
        None => (None, None),
        Some((&len, rest)) => {
            let (ip, user_agent) = rest.split_at_checked(usize::from(len))?;
            (text(ip), text(user_agent))
        }
    };
    Some(CachedSession {
        session_id,
        principal_id,
        principal_type: match record[NUMBERS * 8] {
            b'u' => PrincipalType::User,
            b'c' => PrincipalType::Customer,
            _ => return None,
        },
        revoked: revoked.as_deref().and_then(text),
        started_at: time(5)?,
        last_used_at: time(1)?,
        idle_timeout_secs: number(2)?,
        expires_at: time(3)?,
        user_agent,
        ip,
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
    // Each session's fields by what follows its id: nothing (the record), the reason, a piece.
    let mut fields: BTreeMap<Uuid, BTreeMap<Option<u8>, Vec<u8>>> = BTreeMap::new();
    for (field, value) in hash {
        if field == VERSION_FIELD {
            version = std::str::from_utf8(&value).ok()?.parse().ok();
            continue;
        }
        let Some(id) = field.get(..16).and_then(|id| Uuid::from_slice(id).ok()) else {
            continue;
        };
        fields
            .entry(id)
            .or_default()
            .insert(field.get(16).copied(), value);
    }
    let sessions = fields
        .into_iter()
        .filter_map(|(id, mut of)| {
            let mut parts = vec![of.remove(&None), of.remove(&Some(REASON))];
            let pieces = FIRST_PIECE..=u8::MAX;
            parts.extend(pieces.map_while(|piece| of.remove(&Some(piece)).map(Some)));
            decode(principal_id, id, parts, now)
        })
        .collect();
    Some((version?, sessions))
}

#[cfg(test)]
mod tests;
