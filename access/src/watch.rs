//! Following the published keys: each instance reloads them when command-api announces a
//! change on the `signing_keys` channel (a rotation, a retirement) or, should an announcement
//! be missed, on a timer.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::TokenVerifier;

/// The Postgres channel a key change is announced on.
pub const CHANNEL: &str = "signing_keys";

/// How often the keys are reloaded without an announcement.
const EVERY: Duration = Duration::from_secs(30);

/// Announced key changes, and the timer that covers for missed ones.
#[derive(Debug)]
pub struct KeyChanges {
    listener: Option<PgListener>,
    tick: Interval,
}

impl KeyChanges {
    /// Listens on [`CHANNEL`]; without a listener (Postgres down at start) only the timer runs.
    pub async fn new(pool: &PgPool) -> Self {
        let listener = match PgListener::connect_with(pool).await {
            Ok(mut listener) => listener.listen(CHANNEL).await.ok().map(|()| listener),
            Err(_) => None,
        };
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tick.tick().await;
        Self { listener, tick }
    }

    /// Waits for the next change or tick; `false` once `shutdown` is cancelled.
    pub async fn next(&mut self, shutdown: &CancellationToken) -> bool {
        let announced = async {
            let heard = match self.listener.as_mut() {
                Some(listener) => listener.recv().await.is_ok(),
                None => false,
            };
            if !heard {
                // The timer covers for a listener that cannot reconnect.
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => false,
            _ = self.tick.tick() => true,
            _ = announced => true,
        }
    }
}

/// Reloads `verifier`'s keys on every change until `shutdown`: what a server that only
/// verifies tokens runs.
pub async fn follow(pool: PgPool, verifier: Arc<TokenVerifier>, shutdown: CancellationToken) {
    let mut changes = KeyChanges::new(&pool).await;
    while changes.next(&shutdown).await {
        if let Err(error) = verifier.reload().await {
            tracing::warn!(%error, "cannot refresh the verification keys");
        }
    }
}
