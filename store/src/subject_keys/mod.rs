//! Personal data encrypted per data subject, so that erasing a subject is deleting one key
//! (crypto-shredding): events, snapshots and Kafka records keep only ciphertext, which no key
//! opens once the subject's is gone. Each subject has a random AES-256-GCM data key, stored
//! wrapped by a key-encryption key derived from the platform's master key (HKDF-SHA256, its own
//! purpose label), with associated data binding the wrapped key to its subject. Every sealed
//! field is bound to its subject and field name the same way, so a ciphertext moved to another
//! subject's record or another field does not open.

mod login_index;
mod postgres;

use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretBox};
use uuid::Uuid;

pub use login_index::LoginIndex;
pub use postgres::{NewSubjectKey, PgSubjectKeys, ShredSubjectKey};

use crate::event_store::{StoreError, TransactionalWrite};

/// Where subjects' data keys are kept (the storage adapter implements it).
#[async_trait::async_trait]
pub trait SubjectKeys: Send + Sync + 'static {
    /// A new key for `subject`, and the row that stores it wrapped: commit it with the
    /// subject's first event.
    fn generate(&self, subject: Uuid) -> Result<(DataKey, NewSubjectKey), StoreError>;
    /// The write that deletes the subject's key: commit it with the event that erases it.
    fn shred(&self, subject: Uuid) -> Box<dyn TransactionalWrite>;
    /// The subject's key; `None` once erased (or if it never had one).
    async fn find(&self, subject: Uuid) -> Result<Option<DataKey>, StoreError>;
}

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
/// How a sealed field starts: the format's version, then base64url(nonce ‖ ciphertext ‖ tag).
const SEALED_PREFIX: &str = "enc:v1:";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes")]
    BadMasterKey,
    #[error("no random bytes or key could be made")]
    Generate,
    /// The key or its binding is not the one that sealed it, or the bytes were altered.
    #[error("the ciphertext does not open with this key for this subject and field")]
    Unopenable,
    #[error("not a sealed field")]
    NotSealed,
}

/// Associated data: a purpose label, then each part with its length.
fn binding(purpose: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut aad = purpose.to_vec();
    for part in parts {
        aad.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

fn seal(key: &RandomizedNonceKey, aad: Vec<u8>, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut sealed = plain.to_vec();
    let nonce = key
        .seal_in_place_append_tag(Aad::from(aad), &mut sealed)
        .map_err(|_| CryptoError::Generate)?;
    let mut out = nonce.as_ref().to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open(key: &RandomizedNonceKey, aad: Vec<u8>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (nonce, ciphertext) = sealed
        .split_at_checked(NONCE_LEN)
        .ok_or(CryptoError::Unopenable)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Unopenable)?;
    let mut buffer = ciphertext.to_vec();
    key.open_in_place(Nonce::from(&nonce), Aad::from(aad), &mut buffer)
        .map(|plain| plain.to_vec())
        .map_err(|_| CryptoError::Unopenable)
}

/// Wraps and unwraps subjects' data keys; derived from the master key, never stored.
pub struct KeyWrapper(RandomizedNonceKey);

impl std::fmt::Debug for KeyWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyWrapper(..)")
    }
}

impl KeyWrapper {
    /// The key-encryption key of `master` (the 32 bytes that also seal the signing keys:
    /// HKDF with a label of its own keeps the two uses apart).
    pub fn derive(master: &[u8]) -> Result<Self, CryptoError> {
        if master.len() != KEY_LEN {
            return Err(CryptoError::BadMasterKey);
        }
        let mut kek = [0u8; KEY_LEN];
        Salt::new(HKDF_SHA256, b"identity-platform/subject-keys")
            .extract(master)
            .expand(&[b"key-encryption/v1"], &AES_256_GCM)
            .and_then(|okm| okm.fill(&mut kek))
            .map_err(|_| CryptoError::Generate)?;
        RandomizedNonceKey::new(&AES_256_GCM, &kek)
            .map(Self)
            .map_err(|_| CryptoError::Generate)
    }

    fn aad(subject: Uuid) -> Vec<u8> {
        binding(b"identity-platform/subject-key/v1", &[subject.as_bytes()])
    }

    pub fn wrap(&self, key: &DataKey) -> Result<Vec<u8>, CryptoError> {
        seal(&self.0, Self::aad(key.subject), key.raw.expose_secret())
    }

    pub fn unwrap(&self, subject: Uuid, wrapped: &[u8]) -> Result<DataKey, CryptoError> {
        let raw = open(&self.0, Self::aad(subject), wrapped)?;
        let raw: [u8; KEY_LEN] = raw.try_into().map_err(|_| CryptoError::Unopenable)?;
        DataKey::from_raw(subject, raw)
    }
}

/// One subject's data key.
pub struct DataKey {
    subject: Uuid,
    raw: SecretBox<[u8; KEY_LEN]>,
    key: RandomizedNonceKey,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl DataKey {
    /// A new random key for `subject`.
    pub fn generate(subject: Uuid) -> Result<Self, CryptoError> {
        let mut raw = [0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut raw).map_err(|_| CryptoError::Generate)?;
        Self::from_raw(subject, raw)
    }

    fn from_raw(subject: Uuid, raw: [u8; KEY_LEN]) -> Result<Self, CryptoError> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, &raw).map_err(|_| CryptoError::Generate)?;
        Ok(Self {
            subject,
            raw: SecretBox::new(Box::new(raw)),
            key,
        })
    }

    pub fn subject(&self) -> Uuid {
        self.subject
    }

    fn aad(&self, field: &str) -> Vec<u8> {
        binding(
            b"identity-platform/pii/v1",
            &[self.subject.as_bytes(), field.as_bytes()],
        )
    }

    /// `plain` sealed for this subject's `field` (e.g. `profile.name`), as text for JSON.
    pub fn seal(&self, field: &str, plain: &str) -> Result<String, CryptoError> {
        let sealed = seal(&self.key, self.aad(field), plain.as_bytes())?;
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// Opens what [`DataKey::seal`] sealed for this subject's `field`.
    pub fn open(&self, field: &str, sealed: &str) -> Result<String, CryptoError> {
        let encoded = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(CryptoError::NotSealed)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| CryptoError::NotSealed)?;
        let plain = open(&self.key, self.aad(field), &bytes)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Unopenable)
    }
}

/// Whether `value` is a sealed field (as opposed to clear text).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

#[cfg(test)]
mod tests;
