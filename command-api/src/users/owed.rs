//! Unassignments a deleted role owes its holders: the deletion commits on the role's stream
//! (the role grants nothing from then on) and writes, in its transaction, one debt per holder;
//! [`Unassigner`] appends each holder's `user.role_unassigned` with the deleting command's
//! actor and trace, then forgets the debt. Settling twice is harmless: a user that no longer
//! lists the role records nothing.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use events::EventMetadata;
use store::aggregate::RunError;
use store::event_store::StoreError;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Beside, UserChange, UserCommand, UserError, UserRunner, execute};

/// A role `role_id` that `user_id` must no longer list.
#[derive(Debug, Clone, PartialEq)]
pub struct OwedUnassignment {
    pub user_id: Uuid,
    pub role_id: Uuid,
    pub metadata: EventMetadata,
}

/// Where the debts wait (the storage adapter keeps them).
#[async_trait]
pub trait OwedUnassignments: Send + Sync + 'static {
    /// Debts, oldest first, at most `limit`.
    async fn due(&self, limit: i64) -> Result<Vec<OwedUnassignment>, StoreError>;
    async fn settled(&self, owed: &OwedUnassignment) -> Result<(), StoreError>;
}

/// Appends what deleted roles owe their holders, every `every`.
pub struct Unassigner {
    pub users: UserRunner,
    pub ledger: Arc<dyn OwedUnassignments>,
    pub every: Duration,
}

impl std::fmt::Debug for Unassigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unassigner")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl Unassigner {
    const BATCH: i64 = 100;

    pub async fn run(self, shutdown: CancellationToken) {
        runtime::shutdown::every(self.every, &shutdown, || async {
            if let Err(error) = self.settle_due().await {
                tracing::warn!(?error, "owed unassignments not settled; retrying later");
            }
        })
        .await;
    }

    async fn settle_due(&self) -> Result<(), RunError<UserError>> {
        for owed in self.ledger.due(Self::BATCH).await? {
            let command = UserCommand::Change(UserChange::UnassignRole(owed.role_id));
            let ran = execute(
                &self.users,
                owed.user_id,
                command,
                Beside::default(),
                owed.metadata.clone(),
            )
            .await;
            match ran {
                Ok(_) | Err(RunError::Domain(UserError::NotFound)) => {}
                Err(e) => return Err(e),
            }
            self.ledger.settled(&owed).await?;
        }
        Ok(())
    }
}
