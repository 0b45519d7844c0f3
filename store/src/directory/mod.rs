//! The directory read model: admin users, roles and assignments in Postgres, as the query API
//! lists and shows them, fed by the projectors from the users' and roles' topics. Each event's
//! change and its stream's projected version are written in one transaction
//! ([`crate::read_model`]), so a redelivered event changes nothing. Rows belong to a
//! generation: a rebuild fills the next one beside the live one and switches readers to it.

mod postgres;

use events::Recorded;
use events::roles::RoleEvent;
use events::users::UserEvent;
use sqlx::PgPool;

use crate::event_store::{StoreError, unavailable};
use crate::read_model::{PgReadModels, Projected, ReadModels};

/// The directory's name in `projection_generations`: both its projections switch together.
pub const PROJECTION: &str = "directory";

/// Under which name generation `generation` records its projected versions.
pub fn versions_key(generation: u32) -> String {
    match generation {
        0 => PROJECTION.to_owned(),
        n => format!("{PROJECTION}.g{n}"),
    }
}

/// One generation of the directory, written by the projectors.
#[derive(Debug, Clone)]
pub struct Directory {
    pool: PgPool,
    models: PgReadModels,
    generation: u32,
}

impl Directory {
    pub fn new(pool: PgPool, generation: u32) -> Self {
        Self {
            models: PgReadModels::new(pool.clone()),
            pool,
            generation,
        }
    }

    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Applies one event of a user's stream, unless this generation holds it already.
    pub async fn apply_user(
        &self,
        recorded: &Recorded<UserEvent>,
    ) -> Result<Projected, StoreError> {
        let change = postgres::UserChange {
            generation: self.row_generation(),
            recorded,
        };
        self.apply(&recorded.envelope, &change).await
    }

    /// Applies one event of a role's stream, unless this generation holds it already.
    pub async fn apply_role(
        &self,
        recorded: &Recorded<RoleEvent>,
    ) -> Result<Projected, StoreError> {
        let change = postgres::RoleChange {
            generation: self.row_generation(),
            recorded,
        };
        self.apply(&recorded.envelope, &change).await
    }

    async fn apply(
        &self,
        envelope: &events::Envelope,
        change: &dyn crate::event_store::TransactionalWrite,
    ) -> Result<Projected, StoreError> {
        self.models
            .apply(
                &versions_key(self.generation),
                &envelope.stream_id,
                envelope.version,
                change,
            )
            .await
    }

    /// Deletes every row and projected version of this generation (before a rebuild fills
    /// it, and once a switch left it behind); returns the rows deleted.
    pub async fn clear(&self) -> Result<u64, StoreError> {
        postgres::clear(
            &self.pool,
            self.row_generation(),
            &versions_key(self.generation),
        )
        .await
    }

    /// Whether Postgres answers now.
    pub async fn reachable(&self) -> bool {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(unavailable)
            .is_ok()
    }

    fn row_generation(&self) -> i32 {
        i32::try_from(self.generation).unwrap_or(i32::MAX)
    }
}
