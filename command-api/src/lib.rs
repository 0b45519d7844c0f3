//! The write side of the identity platform: commands decide on events through pure aggregates,
//! the event store appends them atomically with optimistic concurrency, and the relay publishes
//! them to Kafka in commit order.

mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
mod commands;
pub mod customers;
pub mod http;
mod openapi;
pub mod relay;
pub mod roles;
pub mod sessions;
pub mod users;

pub use app::Application;
pub use cli::{Cli, Command, ServeArgs};

/// Runs the command named on the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    use anyhow::Context;
    match cli.command {
        Command::Serve(args) => {
            let shutdown = runtime::shutdown::on_signal();
            let app = Application::build(*args).await?;
            tracing::info!(addr = %app.local_addr(), "command-api listening");
            app.run(shutdown).await
        }
        Command::Relay(args) => {
            let shutdown = runtime::shutdown::on_signal();
            app::run_relay_alone(args, shutdown).await
        }
        Command::Migrate { db } => {
            db.create_database_if_missing()
                .await
                .context("creating the database")?;
            let pool = db.pool()?;
            runtime::db::MIGRATOR
                .run(&pool)
                .await
                .context("applying migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::BootstrapAdmin(args) => commands::bootstrap(args).await,
        Command::RotateSigningKey(args) => commands::rotate_signing_key(args).await,
        Command::RetireSigningKey(args) => commands::retire_signing_key(args).await,
        Command::CreateTopics { kafka } => {
            runtime::kafka::ensure_topics(&kafka, &kafka.topics().all())
                .await
                .context("creating topics")?;
            tracing::info!(prefix = %kafka.topic_prefix, "topics exist");
            Ok(())
        }
    }
}
