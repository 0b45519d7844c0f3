//! The read side of the identity platform: token introspection and the signing keys (JWKS)
//! now; sessions, users, roles, customers and the revocation audit with their issues.

mod app;
pub mod cli;
mod introspection;
mod jwks;

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
