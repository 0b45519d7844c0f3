//! The directory read model: admin users, roles and assignments in Postgres, as the query API
//! lists and shows them, fed by the projectors from the users' and roles' topics. Each event's
//! change and its stream's projected version are written in one transaction
//! ([`crate::read_model`]), so a redelivered event changes nothing. Rows belong to a
//! generation: a rebuild fills the next one beside the live one and switches readers to it.

mod grants;
mod postgres;

use events::Recorded;
use events::roles::RoleEvent;
use events::topics::Category;
use events::users::UserEvent;
use sqlx::PgPool;
use uuid::Uuid;

use crate::event_store::StoreError;
use crate::read_model::{self, PgReadModels, Projected, ReadModels};
use crate::session_cache::grants::{PrincipalGrants, RolePermissions};

/// The directory's name in `projection_generations`: both its projections switch together.
pub const PROJECTION: &str = "directory";

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
                &read_model::versions_key(PROJECTION, self.generation),
                &envelope.stream_id,
                envelope.version,
                change,
            )
            .await
    }

    /// Deletes every row and projected version of this generation (before a rebuild fills
    /// it, and once a switch left it behind); returns the rows deleted.
    pub async fn clear(&self) -> Result<u64, StoreError> {
        read_model::clear_generation(
            &self.pool,
            &postgres::CLEAR,
            self.row_generation(),
            &read_model::versions_key(PROJECTION, self.generation),
        )
        .await
    }

    /// The grants `user_id` holds as this generation has it, if that is the newest state of
    /// its stream in the event store: a projector behind the store (catching up, or a
    /// registration and its role assignment committed together) would otherwise cache a state
    /// that is already gone.
    pub async fn principal_grants(
        &self,
        user_id: Uuid,
    ) -> Result<Option<PrincipalGrants>, StoreError> {
        let stream_id = Category::Users.stream_id(user_id);
        let row = grants::principal_grants(&self.pool, self.row_generation(), user_id, &stream_id)
            .await?;
        Ok(row.map(|(version, disabled, roles)| PrincipalGrants {
            version,
            disabled,
            roles: roles.into_iter().collect(),
        }))
    }

    /// What `role_id` grants as this generation has it, once its event at `version` is
    /// applied (a role without a row was deleted by then), if that is the newest state of its
    /// stream in the event store.
    pub async fn role_permissions(
        &self,
        role_id: Uuid,
        version: i64,
    ) -> Result<Option<RolePermissions>, StoreError> {
        let stream_id = Category::Roles.stream_id(role_id);
        let (head, row_version, permissions) =
            grants::role_permissions(&self.pool, self.row_generation(), role_id, &stream_id)
                .await?;
        let version = row_version.unwrap_or(version);
        if head != Some(version) {
            return Ok(None);
        }
        let Some(permissions) = permissions else {
            return Ok(Some(RolePermissions {
                version,
                permissions: Default::default(),
                deleted: true,
            }));
        };
        let permissions = permissions
            .iter()
            .map(|p| {
                p.parse()
                    .map_err(|e: events::EventError| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(RolePermissions {
            version,
            permissions,
            deleted: false,
        }))
    }

    /// Whether Postgres answers now.
    pub async fn reachable(&self) -> bool {
        read_model::reachable(&self.pool).await
    }

    fn row_generation(&self) -> i32 {
        i32::try_from(self.generation).unwrap_or(i32::MAX)
    }
}
