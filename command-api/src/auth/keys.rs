//! Access-token signing keys (Ed25519), kept in Postgres with the private half sealed under the
//! master key. The first start generates one; an operator rotates them; retired keys keep
//! verifying (and stay in JWKS) until the last token they signed has expired.

use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgPool, Row};

pub const ALGORITHM: &str = "EdDSA";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadMasterKey,
    #[error(
        "a signing key in this database could not be unsealed with this master key: MASTER_KEY \
         is not the key that sealed it (start with the master key this database was set up with)"
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

/// Seals private keys at rest (AES-256-GCM).
pub struct MasterKey(RandomizedNonceKey);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    pub fn from_base64(encoded: &SecretString) -> Result<Self, KeyError> {
        let bytes = STANDARD
            .decode(encoded.expose_secret().trim())
            .map_err(|_| KeyError::BadMasterKey)?;
        if bytes.len() != 32 {
            return Err(KeyError::BadMasterKey);
        }
        RandomizedNonceKey::new(&AES_256_GCM, &bytes)
            .map(Self)
            .map_err(|_| KeyError::BadMasterKey)
    }

    /// A new random master key, base64-encoded (for `./dev up` and tests).
    pub fn generate() -> Result<String, KeyError> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| KeyError::Generate)?;
        Ok(STANDARD.encode(bytes))
    }

    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sealed = plain.to_vec();
        let nonce = self
            .0
            .seal_in_place_append_tag(Aad::empty(), &mut sealed)
            .map_err(|_| KeyError::Generate)?;
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN).ok_or(KeyError::Unseal)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| KeyError::Unseal)?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .0
            .open_in_place(Nonce::from(&nonce), Aad::empty(), &mut buffer)
            .map_err(|_| KeyError::Unseal)?;
        Ok(plain.to_vec())
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

    pub async fn active(&self, master: &MasterKey) -> Result<ActiveKey, KeyError> {
        let row = sqlx::query(
            "SELECT kid, private_key_sealed FROM signing_keys WHERE retired_at IS NULL",
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(KeyError::NoActiveKey)?;
        let sealed: Vec<u8> = row.try_get("private_key_sealed")?;
        Ok(ActiveKey {
            kid: row.try_get("kid")?,
            pkcs8: master.open(&sealed)?,
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
    sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, public_key, private_key_sealed) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&kid)
    .bind(ALGORITHM)
    .bind(pair.public_key().as_ref())
    .bind(master.seal(pkcs8.as_ref())?)
    .execute(tx)
    .await?;
    tracing::info!(%kid, "new signing key is active");
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_master_key() {
        let new = || MasterKey::generate().expect("random key");
        let master = MasterKey::from_base64(&new().into()).expect("key");
        let other = MasterKey::from_base64(&new().into()).expect("key");
        let sealed = master.seal(b"private key bytes").expect("seal");
        assert_eq!(master.open(&sealed).expect("open"), b"private key bytes");
        assert!(matches!(other.open(&sealed), Err(KeyError::Unseal)));
        assert!(matches!(master.open(&sealed[..8]), Err(KeyError::Unseal)));
    }

    #[test]
    fn a_master_key_must_be_32_base64_bytes() {
        assert!(MasterKey::from_base64(&STANDARD.encode([0u8; 16]).into()).is_err());
        assert!(MasterKey::from_base64(&"not base64!".into()).is_err());
        assert!(MasterKey::from_base64(&STANDARD.encode([7u8; 32]).into()).is_ok());
    }
}
