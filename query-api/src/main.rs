use clap::Parser;
use query_api::Cli;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = runtime::telemetry::init("query-api", &cli.telemetry)?;
    query_api::run(cli).await
}
