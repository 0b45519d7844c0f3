//! The page size of a list, as API.md sets it for every page: `?limit=` 1 to 200, default 50;
//! and the cursor of a list kept in id order.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::QueryError;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// The page size asked for, or why it is refused (422 `invalid_limit`).
pub fn page_size(limit: Option<i64>) -> Result<i64, QueryError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(QueryError::invalid(
            "invalid_limit",
            format!("limit is 1 to {MAX_LIMIT}"),
        ))
    }
}

/// A cursor carries the last id of the previous page.
fn encode_cursor(last: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(last.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> Result<Uuid, QueryError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| QueryError::invalid("invalid_cursor", "the cursor is not one this API gave"))
}

/// The first `limit` of `rows` (fetched with one more) and the cursor of the next page.
pub fn paged<T>(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = more
        .then(|| rows.last().map(|r| encode_cursor(id(r))))
        .flatten();
    (rows, next)
}
