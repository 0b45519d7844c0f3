//! The role aggregate: one role per stream (`role-<id>`), a name and the permissions it grants
//! its holders. [`decide`] holds every rule; [`Role::evolve`] only records what happened;
//! [`execute`] runs a command with the rows logins read ([`RoleRows`], in Postgres
//! [`PgRoleRows`]).

mod decide;
mod execute;
pub mod fields;
mod postgres;
pub mod routes;
mod state;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use events::roles::RoleEvent;
use events::topics::Category;
use store::aggregate::Aggregate;

pub use decide::{RoleChange, RoleCommand, RoleDefinition, RoleError, decide};
pub use execute::{RoleRows, RoleRunner, execute};
pub use postgres::PgRoleRows;
pub use state::Role;

impl Aggregate for Role {
    type Event = RoleEvent;
    type Command = RoleCommand;
    type Error = RoleError;

    const CATEGORY: Category = Category::Roles;
    /// Bumped whenever [`Role`] changes shape: older snapshots are then ignored.
    const SNAPSHOT_FORMAT: i32 = 1;
    const SNAPSHOT_EVERY: i64 = 64;

    fn version(&self) -> i64 {
        self.version
    }

    fn decide(
        &self,
        command: RoleCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<RoleEvent>, RoleError> {
        decide(self, command, now)
    }

    fn evolve(self, version: i64, event: &RoleEvent) -> Self {
        Role::evolve(self, version, event)
    }
}
