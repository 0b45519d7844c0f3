use clap::Parser;
use projectors::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Operator commands print their answer on stdout; their logs go to stderr.
    let _telemetry = match cli.command {
        Command::Run(_) => runtime::telemetry::init("projectors", &cli.telemetry)?,
        _ => runtime::telemetry::init_with_writer("projectors", &cli.telemetry, std::io::stderr)?,
    };
    projectors::run(cli).await
}
