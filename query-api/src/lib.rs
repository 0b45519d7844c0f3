//! The read side of the identity platform: token introspection, the signing keys (JWKS), the
//! session list, the audits, the directory of users and roles, and the customer export.

mod app;
mod audit;
mod audit_events;
mod auth;
mod cache_metrics;
pub mod cli;
mod customers;
mod directory;
mod error;
mod event_log;
mod introspection;
mod jwks;
mod lookup;
mod metadata;
mod paging;
mod reach;
mod revocations;
mod sessions;
mod state;

pub use app::Application;
pub use cli::{Cli, Command, ServeArgs};

/// Runs the command named on the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let shutdown = runtime::shutdown::on_signal();
            let app = Application::build(args).await?;
            tracing::info!(addr = %app.local_addr(), "query-api listening");
            app.run(shutdown).await
        }
    }
}
