//! What a command on a user or role stream does to the cached grants: forget them before its
//! append (a process dying after the commit then leaves readers folding the events, never
//! reading the old state), write the committed state after it, and forget them again if that
//! write fails. Best effort and bounded in time: the command has happened whatever Redis does,
//! and entries expire after [`super::ENTRY_TTL`] in any case.

use std::time::Duration;

use uuid::Uuid;

use super::{PrincipalGrants, RolePermissions};
use crate::session_cache::{CacheError, SessionCache};

const TIMEOUT: Duration = Duration::from_millis(250);

/// Whose grants a command changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Principal(Uuid),
    Role(Uuid),
}

/// The state a command committed.
#[derive(Debug, Clone, Copy)]
pub enum Committed<'a> {
    Principal(Uuid, &'a PrincipalGrants),
    Role(Uuid, &'a RolePermissions),
}

impl Committed<'_> {
    fn subject(&self) -> Subject {
        match *self {
            Self::Principal(id, _) => Subject::Principal(id),
            Self::Role(id, _) => Subject::Role(id),
        }
    }
}

impl SessionCache {
    /// Before a command's append.
    pub async fn forget_grants(&self, subject: Subject) {
        let forget = async {
            match subject {
                Subject::Principal(id) => self.forget_principal_grants(id).await,
                Subject::Role(id) => self.forget_role_permissions(id).await,
            }
        };
        bounded(forget, "cached grants not forgotten before a change").await;
    }

    /// After a command's commit.
    pub async fn write_grants_through(&self, committed: Committed<'_>) {
        let write = async {
            match committed {
                Committed::Principal(id, grants) => self.put_principal_grants(id, grants).await,
                Committed::Role(id, role) => self.put_role_permissions(id, role).await,
            }
        };
        if !bounded(write, "grants not written through; forgetting them").await {
            self.forget_grants(committed.subject()).await;
        }
    }
}

/// Runs `step` within [`TIMEOUT`]; whether it succeeded (a failure is logged as `what`).
async fn bounded(step: impl Future<Output = Result<(), CacheError>>, what: &str) -> bool {
    let error = match tokio::time::timeout(TIMEOUT, step).await {
        Ok(Ok(())) => return true,
        Ok(Err(error)) => error.to_string(),
        Err(_) => "timed out".to_owned(),
    };
    tracing::warn!(%error, "{what}");
    false
}
