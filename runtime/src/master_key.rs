//! The platform's master key, as every server is given it: the command side seals signing
//! keys with it and derives the key that wraps customers' data keys; the read side derives the
//! same wrapping key to show customers their own sealed details.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox, SecretString};

#[derive(Debug, Clone, clap::Args)]
pub struct MasterKeyArgs {
    /// Base64 of 32 random bytes; seals the signing keys at rest, and the keys of personal data
    /// and of the login index are derived from it. Keep it secret and stable: without it the
    /// stored keys cannot be used and no login is found.
    #[arg(long = "master-key", env = "MASTER_KEY", hide_env_values = true, value_parser = secret)]
    pub master_key: SecretString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the master key must be base64 of 32 bytes")]
pub struct BadMasterKey;

impl MasterKeyArgs {
    /// The key's 32 bytes.
    pub fn bytes(&self) -> Result<SecretBox<[u8; 32]>, BadMasterKey> {
        let bytes = STANDARD
            .decode(self.master_key.expose_secret().trim())
            .map_err(|_| BadMasterKey)?;
        let raw: [u8; 32] = bytes.try_into().map_err(|_| BadMasterKey)?;
        Ok(SecretBox::new(Box::new(raw)))
    }
}

fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(encoded: &str) -> MasterKeyArgs {
        MasterKeyArgs {
            master_key: encoded.into(),
        }
    }

    #[test]
    fn only_base64_of_32_bytes_is_a_master_key() {
        let key = args(&format!(" {}\n", STANDARD.encode([7u8; 32])));
        assert_eq!(key.bytes().expect("valid").expose_secret(), &[7u8; 32]);
        assert_eq!(
            args(&STANDARD.encode([0u8; 16])).bytes().err(),
            Some(BadMasterKey)
        );
        assert_eq!(args("not base64!").bytes().err(), Some(BadMasterKey));
    }
}
