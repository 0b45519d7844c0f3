//! Who issues access tokens and for whom: the `iss` and `aud` claims, the same on the side
//! that signs them and every side that verifies them.

/// The issuer and audience of access tokens. command-api writes them into every token;
/// every verifier requires both.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct TokenRules {
    /// The `iss` claim of access tokens; verifiers require it.
    #[arg(
        long = "token-issuer",
        env = "TOKEN_ISSUER",
        default_value = "identity-platform"
    )]
    pub issuer: String,
    /// The `aud` claim of access tokens: the services that accept them. Verifiers require it,
    /// so a token this platform issued for another audience is refused.
    #[arg(
        long = "token-audience",
        env = "TOKEN_AUDIENCE",
        default_value = "commerce-platform"
    )]
    pub audience: String,
}
