//! The sessions aggregate: every session of one principal, in one stream
//! (`sessions-<principal_id>`). [`decide`] holds every rule; [`Sessions::evolve`] only records
//! what happened. Handlers load (snapshot + newer events), decide, append.

mod decide;
mod directory;
mod execute;
pub mod login;
pub mod logout;
mod policy;
pub mod refresh;
pub mod revoke;
mod state;
#[cfg(test)]
mod tests;

pub use decide::{
    Authority, Command, MAX_METADATA_ENTRIES, MAX_METADATA_KEY_LEN, MAX_METADATA_VALUE_LEN,
    RecordLockout, Refresh, Revoke, RevokeAll, SessionError, StartSession, decide,
};
pub use directory::{PgSessionDirectory, SessionDirectory};
pub use execute::{Outcome, Rejected, execute, load};
pub use policy::{SessionArgs, SessionPolicy};
pub use state::{Session, Sessions};

/// Fails unless the caller's own session is still active: a token outlives its session until
/// it expires, and must not authorize anything after a logout or revocation.
pub async fn require_active(
    state: &crate::http::AppState,
    claims: &access::AccessClaims,
) -> Result<(), crate::http::ApiError> {
    let stream = events::topics::Category::Sessions.stream_id(claims.sub);
    let (sessions, _) = load(state, &stream).await?;
    match sessions.get(claims.sid) {
        Some(session) if session.is_active(state.clock.now()) => Ok(()),
        _ => Err(crate::http::ApiError::Unauthenticated),
    }
}
