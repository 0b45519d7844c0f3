//! The page size of a list, as API.md sets it for every page: `?limit=` 1 to 200, default 50.

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
