use clap::Parser;
use projectors::Cli;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = runtime::telemetry::init("projectors", &cli.telemetry)?;
    projectors::run(cli).await
}
