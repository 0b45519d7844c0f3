use clap::Parser;
use command_api::Cli;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = runtime::telemetry::init("command-api", &cli.telemetry)?;
    command_api::run(cli).await
}
