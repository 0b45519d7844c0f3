//! Keeps each instance's signing key and verification keys in step with the key store, on every
//! announced change (a rotation, a retirement) or, should one be missed, a timer
//! ([`access::KeyChanges`]).

use std::sync::Arc;

use access::{KeyChanges, TokenVerifier};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::keys::{KeyStore, MasterKey};
use super::tokens::TokenIssuer;

/// Keeps the signing and verification keys in step with the key store (rotations).
#[derive(Debug)]
pub(crate) struct KeyRefresher {
    pub(crate) store: KeyStore,
    pub(crate) master: Arc<MasterKey>,
    pub(crate) issuer: Arc<TokenIssuer>,
    pub(crate) verifier: Arc<TokenVerifier>,
}

impl KeyRefresher {
    pub(crate) async fn run(self, shutdown: CancellationToken, pool: PgPool) {
        let mut changes = KeyChanges::new(&pool).await;
        while changes.next(&shutdown).await {
            match self.store.active(&self.master).await {
                Ok(active) if active.kid != self.issuer.kid() => {
                    tracing::info!(kid = %active.kid, "signing with the new active key");
                    self.issuer.use_key(&active);
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot refresh the signing key"),
            }
            if let Err(error) = self.verifier.reload().await {
                tracing::warn!(%error, "cannot refresh the verification keys");
            }
        }
    }
}
