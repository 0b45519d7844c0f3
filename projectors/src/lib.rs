//! Projectors: Kafka consumers that turn events into read models — the Redis session cache
//! (`command_api::session_cache`) now — applying each event at most once per stream version,
//! retrying what fails for a passing reason.

mod app;
pub mod cli;
pub mod consumer;
pub mod metrics;

pub use app::Application;
pub use cli::{Cli, Command, RunArgs};

/// Runs the command named on the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => {
            let shutdown = runtime::shutdown::on_signal();
            let app = Application::build(args).await?;
            tracing::info!(addr = %app.local_addr(), "projectors listening");
            app.run(shutdown).await
        }
    }
}
