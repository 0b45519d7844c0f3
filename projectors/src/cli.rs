//! Command line and environment configuration of the `projectors` binary.

use clap::{Args, Parser, Subcommand};
use runtime::db::DatabaseArgs;
use runtime::http::HttpArgs;
use runtime::kafka::KafkaArgs;
use runtime::redis::RedisArgs;
use runtime::telemetry::TelemetryArgs;

use crate::consumer::ConsumerArgs;

#[derive(Debug, Parser)]
#[command(name = "projectors", version, about = "Identity platform: projectors")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the projectors, with metrics and health endpoints.
    Run(RunArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub consumer: ConsumerArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
