//! Revocations a committed command owes: disabling a principal ends every session it had, a
//! password change ends its other sessions. They are other streams' appends, so they cannot
//! commit with the command's events; instead the command writes what it owes in its own
//! transaction, the handler settles it at once, and [`Sweeper`] settles whatever a crash or an
//! outage left owed. Settling twice is harmless: a revoke-all of ended sessions appends nothing.

mod postgres;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use events::sessions::{RevocationReason, SessionEvent};
use events::{Actor, EventMetadata};
use store::event_store::{StoreError, TransactionalWrite};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Authority, Command, Rejected, RevokeAll, Scope, SessionRunner, execute};

pub use postgres::PgOwedRevocations;

/// One principal's sessions that must end, for `reason`.
#[derive(Debug, Clone, PartialEq)]
pub struct Owed {
    pub principal_id: Uuid,
    pub reason: RevocationReason,
    /// Sessions started after it are spared (they were begun after the change).
    pub moment: DateTime<Utc>,
    /// The session that made the change, when it keeps going.
    pub except: Option<Uuid>,
    /// The command's metadata: the revocations carry its actor and trace.
    pub metadata: EventMetadata,
}

/// Where owed revocations wait (the storage adapter keeps them).
#[async_trait]
pub trait OwedRevocations: Send + Sync + 'static {
    /// Records `owed` in the transaction of the command that owes it (a newer debt of the same
    /// principal and reason replaces an older one, which it covers).
    fn owe(&self, owed: &Owed) -> Box<dyn TransactionalWrite>;
    /// Debts older than `age`, oldest first, at most `limit`.
    async fn overdue(&self, age: Duration, limit: i64) -> Result<Vec<Owed>, StoreError>;
    /// Forgets `owed` once its revocations are appended (not a newer debt that replaced it).
    async fn settled(&self, owed: &Owed) -> Result<(), StoreError>;
}

/// Appends the revocations `owed` asks for and forgets the debt; the ids of the sessions ended.
pub async fn settle(
    runner: &SessionRunner,
    ledger: &dyn OwedRevocations,
    owed: &Owed,
) -> Result<Vec<Uuid>, Rejected> {
    let actor = owed
        .metadata
        .actor
        .clone()
        .unwrap_or_else(|| Actor::System("owed-revocations".into()));
    let command = Command::RevokeAll(RevokeAll {
        reason: owed.reason,
        metadata: BTreeMap::new(),
        actor,
        authority: Authority::System,
        scope: Scope::StartedBy {
            moment: owed.moment,
            except: owed.except,
        },
    });
    let outcome = execute(runner, owed.principal_id, command, owed.metadata.clone()).await?;
    ledger.settled(owed).await?;
    Ok(outcome
        .events
        .iter()
        .filter_map(|event| match event {
            SessionEvent::Revoked(revoked) => Some(revoked.session_id),
            _ => None,
        })
        .collect())
}

/// Settles the debts a handler could not (it crashed, or the store failed after the commit).
pub struct Sweeper {
    pub runner: SessionRunner,
    pub ledger: Arc<dyn OwedRevocations>,
    /// How often it looks, and how old a debt must be: a younger one is its handler's.
    pub every: Duration,
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl Sweeper {
    const BATCH: i64 = 100;

    pub async fn run(self, shutdown: CancellationToken) {
        runtime::shutdown::every(self.every, &shutdown, || async {
            if let Err(error) = self.sweep().await {
                tracing::warn!(?error, "owed revocations not settled; retrying later");
            }
        })
        .await;
    }

    async fn sweep(&self) -> Result<(), Rejected> {
        for owed in self.ledger.overdue(self.every, Self::BATCH).await? {
            let ended = settle(&self.runner, self.ledger.as_ref(), &owed).await?;
            tracing::info!(
                principal_id = %owed.principal_id,
                reason = owed.reason.as_str(),
                ended = ended.len(),
                "owed revocations settled"
            );
        }
        Ok(())
    }
}
