//! The user aggregate: one admin account per stream (`user-<id>`). [`decide`] holds every rule;
//! [`User::evolve`] only records what happened; [`fields`] says what a field may hold;
//! [`execute`] runs a command with the rows it writes beside its events ([`UserRows`], made in
//! Postgres by [`PgUserRows`]).

mod decide;
mod execute;
pub mod fields;
pub mod owed;
mod postgres;
pub mod routes;
mod state;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use events::topics::Category;
use events::users::UserEvent;
use store::aggregate::Aggregate;

pub use decide::{Registration, UserChange, UserCommand, UserError, decide};
pub use execute::{Beside, UserRows, UserRunner, execute};
pub use postgres::{PgOwedUnassignments, PgUserRows};
pub use state::User;

impl Aggregate for User {
    type Event = UserEvent;
    type Command = UserCommand;
    type Error = UserError;

    const CATEGORY: Category = Category::Users;
    /// Bumped whenever [`User`] changes shape: older snapshots are then ignored.
    const SNAPSHOT_FORMAT: i32 = 1;
    const SNAPSHOT_EVERY: i64 = 64;

    fn version(&self) -> i64 {
        self.version
    }

    fn decide(
        &self,
        command: UserCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, UserError> {
        decide(self, command, now)
    }

    fn evolve(self, version: i64, event: &UserEvent) -> Self {
        User::evolve(self, version, event)
    }
}
