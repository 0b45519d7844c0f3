//! The customer aggregate: one shop account per stream (`customer-<id>`). [`decide`] holds every
//! rule; [`Customer::evolve`] only records what happened; [`fields`] says what a field may hold.
//! Personal fields reach the aggregate sealed under the customer's data key.

mod decide;
mod edit;
mod execute;
pub mod fields;
mod login;
mod postgres;
pub mod routes;
mod state;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use events::customers::CustomerEvent;
use events::topics::Category;
use store::aggregate::Aggregate;

pub use decide::{
    AddressEntry, CustomerCommand, CustomerError, MAX_ADDRESSES, Preferences, ProfilePatch, SignUp,
    decide,
};
pub use edit::{AddressChange, ProfileChange, add_address, change_address, change_profile};
pub use execute::{CustomerRows, CustomerRunner, NewCustomer, execute, key_of, seal, sign_up};
pub use login::{CurrentLogin, change_email, change_password, current_login};
pub use postgres::PgCustomerRows;
pub use state::Customer;

impl Aggregate for Customer {
    type Event = CustomerEvent;
    type Command = CustomerCommand;
    type Error = CustomerError;

    const CATEGORY: Category = Category::Customers;
    /// Bumped whenever [`Customer`] changes shape: older snapshots are then ignored.
    const SNAPSHOT_FORMAT: i32 = 2;
    const SNAPSHOT_EVERY: i64 = 64;

    fn version(&self) -> i64 {
        self.version
    }

    fn decide(
        &self,
        command: CustomerCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        decide(self, command, now)
    }

    fn evolve(self, version: i64, event: &CustomerEvent) -> Self {
        Customer::evolve(self, version, event)
    }
}
