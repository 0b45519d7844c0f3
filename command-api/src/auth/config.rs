//! Configuration of tokens and keys.

use access::TokenRules;

pub use runtime::master_key::MasterKeyArgs;

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
