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
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
