//! Configuration of tokens and keys.

use access::TokenRules;
use secrecy::SecretString;

use super::keys::{KeyError, MasterKey};

#[derive(Debug, Clone, clap::Args)]
pub struct MasterKeyArgs {
    /// Base64 of 32 random bytes; seals the signing keys at rest, and the keys of personal data
    /// and of the login index are derived from it. Keep it secret and stable: without it the
    /// stored keys cannot be used and no login is found.
    #[arg(long = "master-key", env = "MASTER_KEY", hide_env_values = true, value_parser = secret)]
    pub master_key: SecretString,
}

impl MasterKeyArgs {
    pub fn load(&self) -> Result<MasterKey, KeyError> {
        MasterKey::from_base64(&self.master_key)
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub master: MasterKeyArgs,
    #[command(flatten)]
    pub rules: TokenRules,
    /// Lifetime of an access token.
    #[arg(
        long = "access-token-ttl-secs",
        env = "ACCESS_TOKEN_TTL_SECS",
        default_value_t = 900
    )]
    pub access_token_ttl_secs: i64,
}

fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}
