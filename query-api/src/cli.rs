//! Command line and environment configuration of the `query-api` binary.

use access::TokenRules;
use clap::{Args, Parser, Subcommand};
use runtime::db::DatabaseArgs;
use runtime::http::HttpArgs;
use runtime::master_key::MasterKeyArgs;
use runtime::redis::RedisArgs;
use runtime::telemetry::TelemetryArgs;

#[derive(Debug, Parser)]
#[command(name = "query-api", version, about = "Identity platform: read side")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the query API.
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    /// The `iss` and `aud` claims access tokens must carry.
    #[command(flatten)]
    pub tokens: TokenRules,
    /// Opens customers' sealed session details for the customer's own reads.
    #[command(flatten)]
    pub master: MasterKeyArgs,
    #[command(flatten)]
    pub urls: PublicUrls,
}

/// Where clients reach the platform's servers, as the RFC 8414 metadata names its endpoints.
#[derive(Debug, Clone, Args)]
pub struct PublicUrls {
    /// This query-api's public base URL.
    #[arg(
        long = "public-url",
        env = "PUBLIC_URL",
        default_value = "http://127.0.0.1:8082"
    )]
    pub public_url: String,
    /// command-api's public base URL (logins, refreshes, revocation).
    #[arg(
        long = "command-api-url",
        env = "COMMAND_API_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub command_api_url: String,
}

impl Default for PublicUrls {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8082".into(),
            command_api_url: "http://127.0.0.1:8080".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
