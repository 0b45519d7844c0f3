//! Role commands on the generic runner, with the rows they write beside their events in one
//! transaction: the role's name and permissions as logins read them; a deleted role's row and
//! assignments go, so it grants nothing from that commit on. A name another role holds (in any
//! case) makes the command append nothing.

use std::sync::Arc;

use events::roles::RoleEvent;
use events::{EventMetadata, Permission};
use store::aggregate::{self, Hooks, Outcome, Ports, RunError};
use store::event_store::TransactionalWrite;
use store::session_cache::SessionCache;
use store::session_cache::grants::{Committed, RolePermissions, Subject};
use uuid::Uuid;

use super::{Role, RoleCommand, RoleError};

/// The rows a role command writes beside its events (the storage adapter makes them).
pub trait RoleRows: Send + Sync + 'static {
    /// A new role; a name another role holds fails the command with
    /// `StoreError::Taken("role_name")`.
    fn created(
        &self,
        role_id: Uuid,
        name: &str,
        permissions: &[Permission],
    ) -> Box<dyn TransactionalWrite>;
    fn renamed(&self, role_id: Uuid, name: &str) -> Box<dyn TransactionalWrite>;
    /// Whether the role grants `permission`.
    fn grants(
        &self,
        role_id: Uuid,
        permission: Permission,
        grants: bool,
    ) -> Box<dyn TransactionalWrite>;
    /// The role and every assignment of it go; each holder is owed a `role_unassigned` event
    /// carrying `metadata` (the deleting command's).
    fn deleted(&self, role_id: Uuid, metadata: &EventMetadata) -> Box<dyn TransactionalWrite>;
}

/// Runs commands on role streams.
#[derive(Clone)]
pub struct RoleRunner {
    pub ports: Ports,
    pub rows: Arc<dyn RoleRows>,
    /// Where the role's permissions are cached for the checks of every admin route.
    pub cache: SessionCache,
}

impl std::fmt::Debug for RoleRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleRunner").finish_non_exhaustive()
    }
}

pub async fn execute(
    runner: &RoleRunner,
    role_id: Uuid,
    command: RoleCommand,
    metadata: EventMetadata,
) -> Result<Outcome<Role>, RunError<RoleError>> {
    let hooks = Rows {
        role_id,
        rows: runner.rows.clone(),
        cache: runner.cache.clone(),
        metadata: metadata.clone(),
    };
    let outcome = aggregate::run(&runner.ports, &hooks, role_id, command, metadata).await?;
    if !outcome.events.is_empty() {
        let permissions = RolePermissions {
            version: outcome.version,
            permissions: outcome.state.permissions.clone(),
            deleted: outcome.state.deleted,
        };
        let committed = Committed::Role(role_id, &permissions);
        runner.cache.write_grants_through(committed).await;
    }
    Ok(outcome)
}

struct Rows {
    role_id: Uuid,
    rows: Arc<dyn RoleRows>,
    cache: SessionCache,
    metadata: EventMetadata,
}

#[async_trait::async_trait]
impl Hooks<Role> for Rows {
    type Ticket = ();

    async fn before_append(&self, _: &[RoleEvent]) {
        self.cache.forget_grants(Subject::Role(self.role_id)).await;
    }

    fn writes(&self, id: Uuid, events: &[RoleEvent]) -> Vec<Box<dyn TransactionalWrite>> {
        let rows = &self.rows;
        events
            .iter()
            .filter_map(|event| match event {
                RoleEvent::Created(e) => Some(rows.created(id, &e.name, &e.permissions)),
                RoleEvent::Renamed(e) => Some(rows.renamed(id, &e.name)),
                RoleEvent::PermissionGranted(e) => Some(rows.grants(id, e.permission, true)),
                RoleEvent::PermissionRevoked(e) => Some(rows.grants(id, e.permission, false)),
                RoleEvent::Deleted(_) => Some(rows.deleted(id, &self.metadata)),
                RoleEvent::Described(_) => None,
            })
            .collect()
    }

    async fn after_commit(&self, _: Uuid, _: &[events::RawEvent], _: ()) {}
}
