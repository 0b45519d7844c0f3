//! Configuration of tokens and keys.

use access::TokenRules;
use secrecy::SecretString;

#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// Base64 of 32 random bytes; seals the signing keys at rest. Keep it secret and stable:
    /// without it the stored keys cannot be used.
    #[arg(long = "master-key", env = "MASTER_KEY", hide_env_values = true, value_parser = secret)]
    pub master_key: SecretString,
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
