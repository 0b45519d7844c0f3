//! The sessions aggregate: every session of one principal, in one stream
//! (`sessions-<principal_id>`). [`decide`] holds every rule; [`Sessions::evolve`] only records
//! what happened. [`execute`] loads (snapshot + newer events), decides and appends; the handlers
//! in [`routes`] are the only part that knows HTTP.

pub mod client;
mod decide;
mod directory;
mod execute;
pub mod login;
pub mod owed;
mod policy;
mod postgres;
pub mod routes;
mod scope;
mod state;
#[cfg(test)]
mod tests;

pub use decide::{
    Authority, Command, MAX_METADATA_ENTRIES, MAX_METADATA_KEY_LEN, MAX_METADATA_VALUE_LEN,
    RecordLockout, Refresh, Revoke, RevokeAll, SessionError, StartSession, decide,
};
pub use directory::SessionDirectory;
pub use execute::{Outcome, Rejected, SessionRunner, execute, load};
pub use policy::{SessionArgs, SessionPolicy};
pub use postgres::PgSessionDirectory;
pub use scope::Scope;
pub use state::{ENDED_KEPT, Session, Sessions, Spent};

/// Whether `session_id` of `principal_id` is still active: a token outlives its session until
/// it expires, and must not authorize anything after a logout or revocation.
pub async fn is_active(
    runner: &SessionRunner,
    principal_id: uuid::Uuid,
    session_id: uuid::Uuid,
) -> Result<bool, Rejected> {
    let stream = events::topics::Category::Sessions.stream_id(principal_id);
    let (sessions, _) = load(runner, &stream).await?;
    Ok(sessions
        .get(session_id)
        .is_some_and(|session| session.is_active(runner.ports.clock.now())))
}
