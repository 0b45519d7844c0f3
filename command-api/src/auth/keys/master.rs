//! The master key, which seals signing keys at rest (AES-256-GCM) bound to their row: the
//! associated data names the key's id, algorithm and public half, so a sealed key copied into
//! another row, or a row whose public key was replaced, does not open.

use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use runtime::master_key::MasterKeyArgs;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use store::subject_keys::{KeyWrapper, LoginIndex};

use super::KeyError;

const NONCE_LEN: usize = 12;

/// What a sealed private key belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Binding<'a> {
    pub kid: &'a str,
    pub algorithm: &'a str,
    pub public_key: &'a [u8],
}

impl Binding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let mut aad = b"identity-platform/signing-key/v1".to_vec();
        for part in [
            self.kid.as_bytes(),
            self.algorithm.as_bytes(),
            self.public_key,
        ] {
            aad.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            aad.extend_from_slice(part);
        }
        aad
    }
}

/// A private key, opened, and whether it was sealed the old way (no associated data).
pub(super) struct Sealed {
    pub plain: Vec<u8>,
    pub legacy: bool,
}

/// Seals private keys at rest (AES-256-GCM), and is what the keys of personal data and of the
/// login index are derived from.
pub struct MasterKey {
    sealing: RandomizedNonceKey,
    raw: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// The key the server was given.
    pub fn load(args: &MasterKeyArgs) -> Result<Self, KeyError> {
        let raw = args.bytes().map_err(|_| KeyError::BadMasterKey)?;
        let sealing = RandomizedNonceKey::new(&AES_256_GCM, raw.expose_secret())
            .map_err(|_| KeyError::BadMasterKey)?;
        Ok(Self { sealing, raw })
    }

    /// The key whose base64 is `encoded`.
    pub fn from_base64(encoded: &SecretString) -> Result<Self, KeyError> {
        Self::load(&MasterKeyArgs {
            master_key: encoded.clone(),
        })
    }

    /// The key that wraps data subjects' keys.
    pub fn subject_keys(&self) -> Result<KeyWrapper, KeyError> {
        KeyWrapper::derive(self.raw.expose_secret()).map_err(|_| KeyError::BadMasterKey)
    }

    /// The key that hashes logins.
    pub fn login_index(&self) -> Result<LoginIndex, KeyError> {
        LoginIndex::derive(self.raw.expose_secret()).map_err(|_| KeyError::BadMasterKey)
    }

    /// A new random master key, base64-encoded (for `./dev up` and tests).
    pub fn generate() -> Result<String, KeyError> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| KeyError::Generate)?;
        Ok(STANDARD.encode(bytes))
    }

    pub(super) fn seal(&self, plain: &[u8], binding: Binding<'_>) -> Result<Vec<u8>, KeyError> {
        let mut sealed = plain.to_vec();
        let nonce = self
            .sealing
            .seal_in_place_append_tag(Aad::from(binding.associated_data()), &mut sealed)
            .map_err(|_| KeyError::Generate)?;
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a key sealed for `binding`; a key sealed before keys were bound (empty
    /// associated data) opens too, marked legacy, for the caller to seal again.
    pub(super) fn open(&self, sealed: &[u8], binding: Binding<'_>) -> Result<Sealed, KeyError> {
        let open = |aad: Aad<Vec<u8>>| -> Option<Vec<u8>> {
            let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
            let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
            let mut buffer = ciphertext.to_vec();
            let plain = self
                .sealing
                .open_in_place(Nonce::from(&nonce), aad, &mut buffer)
                .ok()?;
            Some(plain.to_vec())
        };
        if let Some(plain) = open(Aad::from(binding.associated_data())) {
            return Ok(Sealed {
                plain,
                legacy: false,
            });
        }
        open(Aad::from(Vec::new()))
            .map(|plain| Sealed {
                plain,
                legacy: true,
            })
            .ok_or(KeyError::Unseal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(kid: &str) -> Binding<'_> {
        Binding {
            kid,
            algorithm: "EdDSA",
            public_key: b"public half",
        }
    }

    fn master() -> MasterKey {
        MasterKey::from_base64(&MasterKey::generate().expect("random key").into()).expect("key")
    }

    #[test]
    fn sealed_keys_open_only_with_their_master_key_and_for_their_row() {
        let (master, other) = (master(), master());
        let sealed = master.seal(b"private key", binding("a")).expect("seal");
        let opened = master.open(&sealed, binding("a")).expect("open");
        assert_eq!(
            (opened.plain.as_slice(), opened.legacy),
            (&b"private key"[..], false)
        );
        assert!(matches!(
            other.open(&sealed, binding("a")),
            Err(KeyError::Unseal)
        ));
        assert!(matches!(
            master.open(&sealed, binding("b")),
            Err(KeyError::Unseal)
        ));
        let replaced = Binding {
            public_key: b"someone else's",
            ..binding("a")
        };
        assert!(matches!(
            master.open(&sealed, replaced),
            Err(KeyError::Unseal)
        ));
        assert!(matches!(
            master.open(&sealed[..8], binding("a")),
            Err(KeyError::Unseal)
        ));
    }

    #[test]
    fn a_key_sealed_before_binding_opens_marked_legacy() {
        let master = master();
        let mut sealed = b"private key".to_vec();
        let nonce = master
            .sealing
            .seal_in_place_append_tag(Aad::empty(), &mut sealed)
            .expect("seal");
        let legacy = [nonce.as_ref().as_slice(), sealed.as_slice()].concat();
        let opened = master.open(&legacy, binding("a")).expect("open");
        assert_eq!(
            (opened.plain.as_slice(), opened.legacy),
            (&b"private key"[..], true)
        );
    }
}
