//! Access-token signing keys (Ed25519), kept in Postgres with the private half sealed under the
//! master key. The first start generates one; an operator rotates them; retired keys keep
//! verifying (and stay in JWKS) until the last token they signed has expired.

mod master;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use sqlx::{PgPool, Row};

use master::Binding;
pub use master::MasterKey;

pub const ALGORITHM: &str = "EdDSA";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadMasterKey,
    #[error(
        "a signing key in this database could not be unsealed with this master key: MASTER_KEY \
         is not the key that sealed it (start with the master key this database was set up with), \
         or its row was altered"
    )]
    Unseal,
    #[error("key generation failed")]
    Generate,
    #[error("no active signing key")]
    NoActiveKey,
    #[error("no signing key {0}")]
    UnknownKey(String),
    #[error("key store: {0}")]
    Store(#[from] sqlx::Error),
}

impl KeyError {
    /// Whether trying again can help: a database fault can pass, a wrong master key cannot.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(_))
    }
}

/// The private half of the key that signs now.
pub struct ActiveKey {
    pub kid: String,
    pub pkcs8: Vec<u8>,
}

impl std::fmt::Debug for ActiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Signing keys in Postgres.
#[derive(Debug, Clone)]
pub struct KeyStore {
    pool: PgPool,
}

impl KeyStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Generates the first signing key unless one is active already. Safe to race: one
    /// process wins, the others find its key.
    pub async fn ensure_active(&self, master: &MasterKey) -> Result<(), KeyError> {
        let mut tx = self.pool.begin().await?;
        lock_keys(&mut tx).await?;
        let active: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)",
        )
        .fetch_one(&mut *tx)
        .await?;
        if !active {
            insert_new_key(&mut tx, master).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Retires the active key and makes a new one active. Tokens signed by the retired key
    /// stay valid: it is published until `valid_for` (the access-token lifetime) has passed.
    pub async fn rotate(
        &self,
        master: &MasterKey,
        valid_for: chrono::Duration,
    ) -> Result<String, KeyError> {
        let mut tx = self.pool.begin().await?;
        lock_keys(&mut tx).await?;
        sqlx::query(
            "UPDATE signing_keys SET retired_at = now(), published_until = now() + $1 \
             WHERE retired_at IS NULL",
        )
        .bind(valid_for)
        .execute(&mut *tx)
        .await?;
        let kid = insert_new_key(&mut tx, master).await?;
        announce(&mut tx, &kid).await?;
        tx.commit().await?;
        Ok(kid)
    }

    /// Withdraws `kid` at once (a compromised key): it is no longer published, so every token
    /// it signed stops verifying as each instance reloads; if it was signing, a new key does.
    /// Returns the key that signs now.
    pub async fn retire(&self, master: &MasterKey, kid: &str) -> Result<String, KeyError> {
        let mut tx = self.pool.begin().await?;
        lock_keys(&mut tx).await?;
        let was_active: bool =
            sqlx::query_scalar("SELECT retired_at IS NULL FROM signing_keys WHERE kid = $1")
                .bind(kid)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| KeyError::UnknownKey(kid.to_owned()))?;
        sqlx::query(
            "UPDATE signing_keys SET published_until = now(), \
             retired_at = coalesce(retired_at, now()) WHERE kid = $1",
        )
        .bind(kid)
        .execute(&mut *tx)
        .await?;
        let signing = match was_active {
            true => insert_new_key(&mut tx, master).await?,
            false => {
                sqlx::query_scalar("SELECT kid FROM signing_keys WHERE retired_at IS NULL")
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        announce(&mut tx, kid).await?;
        tx.commit().await?;
        tracing::warn!(%kid, "signing key withdrawn");
        Ok(signing)
    }

    /// The key that signs now, opened for its row. A key sealed before keys were bound to
    /// their rows is sealed again, bound.
    pub async fn active(&self, master: &MasterKey) -> Result<ActiveKey, KeyError> {
        let row = sqlx::query(
            "SELECT kid, algorithm, public_key, private_key_sealed FROM signing_keys \
             WHERE retired_at IS NULL",
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(KeyError::NoActiveKey)?;
        let kid: String = row.try_get("kid")?;
        let algorithm: String = row.try_get("algorithm")?;
        let public_key: Vec<u8> = row.try_get("public_key")?;
        let sealed: Vec<u8> = row.try_get("private_key_sealed")?;
        let binding = Binding {
            kid: &kid,
            algorithm: &algorithm,
            public_key: &public_key,
        };
        let opened = master.open(&sealed, binding)?;
        let pair = Ed25519KeyPair::from_pkcs8(&opened.plain).map_err(|_| KeyError::Unseal)?;
        if pair.public_key().as_ref() != public_key.as_slice() {
            return Err(KeyError::Unseal);
        }
        if opened.legacy {
            sqlx::query(
                "UPDATE signing_keys SET private_key_sealed = $2 \
                 WHERE kid = $1 AND private_key_sealed = $3",
            )
            .bind(&kid)
            .bind(master.seal(&opened.plain, binding)?)
            .bind(&sealed)
            .execute(&self.pool)
            .await?;
            tracing::info!(%kid, "signing key sealed again, bound to its row");
        }
        Ok(ActiveKey {
            kid,
            pkcs8: opened.plain,
        })
    }
}

/// Serialises changes to the signing keys across instances until `tx` ends.
async fn lock_keys(tx: &mut sqlx::PgConnection) -> Result<(), KeyError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('signing_keys', 0))")
        .execute(tx)
        .await?;
    Ok(())
}

/// Every instance reloads its keys on this (and on a timer, should it be missed).
async fn announce(tx: &mut sqlx::PgConnection, kid: &str) -> Result<(), KeyError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(access::watch::CHANNEL)
        .bind(kid)
        .execute(tx)
        .await?;
    Ok(())
}

async fn insert_new_key(
    tx: &mut sqlx::PgConnection,
    master: &MasterKey,
) -> Result<String, KeyError> {
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyError::Generate)?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| KeyError::Generate)?;
    let kid = uuid::Uuid::now_v7().simple().to_string();
    let binding = Binding {
        kid: &kid,
        algorithm: ALGORITHM,
        public_key: pair.public_key().as_ref(),
    };
    sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, public_key, private_key_sealed) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&kid)
    .bind(ALGORITHM)
    .bind(pair.public_key().as_ref())
    .bind(master.seal(pkcs8.as_ref(), binding)?)
    .execute(tx)
    .await?;
    tracing::info!(%kid, "new signing key is active");
    Ok(kid)
}
