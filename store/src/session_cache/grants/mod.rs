//! Effective permissions, current on every request: what an admin route checks instead of the
//! permissions written into the caller's token at login. A principal's effective permissions
//! are the union of its live roles' permissions, none when it is disabled. They are folded from
//! the user's and its roles' streams and kept in the session cache beside its sessions: one
//! hash per principal (its version, disabled flag and roles) and one per role (its version,
//! permissions and whether it is deleted), written only forward in stream version. The command
//! forgets the entry before its append and writes the new state after its commit; readers that
//! miss fold the streams from the event store and fill the cache, fenced by its epoch. Entries
//! expire after [`ENTRY_TTL`], which bounds what a lost write could leave stale.

mod cache;
mod through;

use std::collections::BTreeSet;
use std::sync::Arc;

use events::roles::RoleEvent;
use events::topics::Category;
use events::users::UserEvent;
use events::{EventFamily, Permission, PrincipalType};
use uuid::Uuid;

use super::{CacheError, SessionCache};
use crate::event_store::{EventStore, StoreError};

pub use through::{Committed, Subject};

/// How long a cached principal or role lives without being written again.
pub const ENTRY_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// What a principal's permissions depend on, at its user stream's version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalGrants {
    pub version: i64,
    pub disabled: bool,
    pub roles: BTreeSet<Uuid>,
}

impl PrincipalGrants {
    pub fn evolve(mut self, version: i64, event: &UserEvent) -> Self {
        match event {
            UserEvent::RoleAssigned(e) => {
                self.roles.insert(e.role_id);
            }
            UserEvent::RoleUnassigned(e) => {
                self.roles.remove(&e.role_id);
            }
            UserEvent::Disabled(_) => self.disabled = true,
            UserEvent::Enabled(_) => self.disabled = false,
            _ => {}
        }
        self.version = version;
        self
    }
}

/// What one role grants, at its stream's version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolePermissions {
    pub version: i64,
    pub permissions: BTreeSet<Permission>,
    pub deleted: bool,
}

impl RolePermissions {
    pub fn evolve(mut self, version: i64, event: &RoleEvent) -> Self {
        match event {
            RoleEvent::Created(e) => self.permissions = e.permissions.iter().copied().collect(),
            RoleEvent::PermissionGranted(e) => {
                self.permissions.insert(e.permission);
            }
            RoleEvent::PermissionRevoked(e) => {
                self.permissions.remove(&e.permission);
            }
            RoleEvent::Deleted(_) => {
                self.deleted = true;
                self.permissions.clear();
            }
            _ => {}
        }
        self.version = version;
        self
    }
}

/// What a principal may do now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effective {
    pub disabled: bool,
    pub permissions: BTreeSet<Permission>,
}

impl Effective {
    fn of(principal: &PrincipalGrants, roles: &[RolePermissions]) -> Self {
        Self {
            disabled: principal.disabled,
            permissions: match principal.disabled {
                true => BTreeSet::new(),
                false => roles
                    .iter()
                    .filter(|role| !role.deleted)
                    .flat_map(|role| role.permissions.iter().copied())
                    .collect(),
            },
        }
    }

    pub fn allows(&self, permission: Permission) -> bool {
        !self.disabled && self.permissions.contains(&permission)
    }
}

/// Answers effective permissions: from the cache, else from the event store (filling the
/// cache on the way).
#[derive(Clone)]
pub struct Grants {
    pub cache: SessionCache,
    pub store: Arc<dyn EventStore>,
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants").finish_non_exhaustive()
    }
}

impl Grants {
    /// What `principal_id` may do now. Customers hold no permission (they act on what they
    /// own); a principal without a user stream has none either.
    pub async fn effective(
        &self,
        principal_id: Uuid,
        principal_type: PrincipalType,
    ) -> Result<Effective, StoreError> {
        if principal_type != PrincipalType::User {
            return Ok(Effective::default());
        }
        let cached = match self.cache.grants_of(principal_id).await {
            Ok(cached) => cached,
            Err(CacheError::Distrusted) => None,
            Err(error) => {
                tracing::warn!(%error, "grants unreadable in the cache; folding events");
                None
            }
        };
        self.effective_given(principal_id, principal_type, cached)
            .await
    }

    /// [`Grants::effective`] once the cache was read: `cached` is what it held (as
    /// [`SessionCache::access_all`] answers), and only when it held nothing are the events
    /// folded.
    pub async fn effective_given(
        &self,
        principal_id: Uuid,
        principal_type: PrincipalType,
        cached: Option<Effective>,
    ) -> Result<Effective, StoreError> {
        if principal_type != PrincipalType::User {
            return Ok(Effective::default());
        }
        if let Some(effective) = cached {
            return Ok(effective);
        }
        let epoch = self.cache.epoch().await.ok();
        let principal = self.principal(principal_id).await?;
        let mut roles = Vec::with_capacity(principal.roles.len());
        for role_id in &principal.roles {
            roles.push((*role_id, self.role(*role_id).await?));
        }
        if let Some(epoch) = epoch {
            let filled = self
                .cache
                .fill_grants(principal_id, &principal, &roles, &epoch)
                .await;
            if let Err(error) = filled {
                tracing::warn!(%error, "grants not written to the cache");
            }
        }
        let roles: Vec<RolePermissions> = roles.into_iter().map(|(_, role)| role).collect();
        Ok(Effective::of(&principal, &roles))
    }

    async fn principal(&self, principal_id: Uuid) -> Result<PrincipalGrants, StoreError> {
        let stream = Category::Users.stream_id(principal_id);
        let mut grants = PrincipalGrants::default();
        for raw in self.store.read_stream(&stream, 1).await? {
            let recorded =
                UserEvent::from_raw(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            grants = grants.evolve(raw.envelope.version, &recorded.event);
        }
        Ok(grants)
    }

    async fn role(&self, role_id: Uuid) -> Result<RolePermissions, StoreError> {
        let stream = Category::Roles.stream_id(role_id);
        let mut role = RolePermissions::default();
        for raw in self.store.read_stream(&stream, 1).await? {
            let recorded =
                RoleEvent::from_raw(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            role = role.evolve(raw.envelope.version, &recorded.event);
        }
        Ok(role)
    }
}

#[cfg(test)]
mod tests;
