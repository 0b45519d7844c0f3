//! The public halves of the access-token signing keys, as command-api publishes them in
//! Postgres: the active key and the retired ones whose last token has not expired yet.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

/// A key that verifies tokens and is published in JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    pub algorithm: String,
    /// The raw 32-byte Ed25519 public key.
    pub key: Vec<u8>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// The published keys could not be read; nothing can be verified until they can.
#[derive(Debug, thiserror::Error)]
pub enum KeysUnavailable {
    #[error("the published signing keys cannot be read")]
    Store(#[source] sqlx::Error),
    /// The last read, a moment ago, failed; not tried again so soon.
    #[error("the published signing keys could not be read a moment ago")]
    Recently,
}

/// Reads the published keys from Postgres.
#[derive(Debug, Clone)]
pub struct PublishedKeys {
    pool: PgPool,
}

impl PublishedKeys {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Every key that may still have signed an unexpired token, newest first.
    pub async fn published(&self) -> Result<Vec<PublicKey>, KeysUnavailable> {
        let rows = sqlx::query(
            "SELECT kid, algorithm, public_key, retired_at FROM signing_keys \
             WHERE published_until IS NULL OR published_until > now() \
             ORDER BY created_at DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(KeysUnavailable::Store)?;
        rows.iter()
            .map(|r| {
                Ok(PublicKey {
                    kid: r.try_get("kid")?,
                    algorithm: r.try_get("algorithm")?,
                    key: r.try_get("public_key")?,
                    retired_at: r.try_get("retired_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(KeysUnavailable::Store)
    }
}
