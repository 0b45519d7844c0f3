//! Logins as the credentials table and the login counters hold them: a keyed hash (HMAC-SHA256)
//! of the canonical email, never the address. Uniqueness and lookups work on the hash alone, so
//! no store keeps a principal's email beside its password hash, and erasing a customer leaves
//! nothing there to find its address by. The key is derived from the master key (HKDF, its own
//! label), so every command-api instance computes the same hash.

use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{CryptoError, KEY_LEN};

/// How a hashed login starts: the scheme's version.
const PREFIX: &str = "h1:";

/// Turns canonical logins into the keyed hashes stored for them.
pub struct LoginIndex(hmac::Key);

impl std::fmt::Debug for LoginIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginIndex(..)")
    }
}

impl LoginIndex {
    pub fn derive(master: &[u8]) -> Result<Self, CryptoError> {
        if master.len() != KEY_LEN {
            return Err(CryptoError::BadMasterKey);
        }
        Salt::new(HKDF_SHA256, b"identity-platform/login-index")
            .extract(master)
            .expand(&[b"hmac-sha256/v1"], hmac::HMAC_SHA256)
            .map(|okm| Self(hmac::Key::from(okm)))
            .map_err(|_| CryptoError::Generate)
    }

    /// The stored form of `canonical_login` (already trimmed, NFKC-normalised, lower-cased).
    pub fn digest(&self, canonical_login: &str) -> String {
        let tag = hmac::sign(&self.0, canonical_login.as_bytes());
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// Whether `stored` is a hashed login (rather than an address stored by an older version).
    pub fn is_digest(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::LoginIndex;

    #[test]
    fn a_login_hashes_the_same_way_under_one_master_key_only() {
        let index = LoginIndex::derive(&[7; 32]).expect("index");
        let digest = index.digest("ada@example.test");
        assert!(LoginIndex::is_digest(&digest));
        assert!(!digest.contains("ada"));
        assert_eq!(digest, index.digest("ada@example.test"));
        assert_ne!(digest, index.digest("bob@example.test"));
        let other = LoginIndex::derive(&[8; 32]).expect("index");
        assert_ne!(digest, other.digest("ada@example.test"));
        assert!(LoginIndex::derive(&[7; 31]).is_err());
    }
}
