//! Keeps each instance's signing key and verification keys in step with the key store: a
//! rotation by any instance (it notifies `signing_keys`) or, should that be missed, a timer.

use std::sync::Arc;
use std::time::Duration;

use access::TokenVerifier;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::keys::{KeyStore, MasterKey};
use super::tokens::TokenIssuer;

/// How often each instance picks up a key rotated by another one.
const KEY_REFRESH: Duration = Duration::from_secs(30);

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
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(mut l) => l.listen("signing_keys").await.ok().map(|()| l),
            Err(_) => None,
        };
        let mut tick = tokio::time::interval(KEY_REFRESH);
        tick.tick().await;
        loop {
            let rotated = async {
                match listener.as_mut() {
                    Some(l) => {
                        if l.recv().await.is_err() {
                            // The timer covers for a listener that cannot reconnect.
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
                _ = rotated => {}
            }
            match self.store.active(&self.master).await {
                Ok(active) if active.kid != self.issuer.kid() => {
                    tracing::info!(kid = %active.kid, "signing with the rotated key");
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
