//! Projectors: Kafka consumers that turn events into read models. One runtime
//! ([`engine`]) carries every projection ([`projection::Projection`]) — bounded concurrency
//! with per-stream order, retries with backoff, dead letters and parking, contiguous offset
//! commits, graceful shutdown, spans and metrics; the Redis session cache
//! ([`session_cache`]), the Postgres directory of users and roles ([`directory`]) and the
//! customer directory ([`customers`]) run on it.

mod active_sessions;
mod app;
pub mod cli;
pub mod customers;
pub mod directory;
pub mod engine;
mod generational;
mod instance;
pub mod metrics;
pub mod ops;
pub mod projection;
pub mod replay;
pub mod session_cache;

pub use app::{Application, session_source};
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
        Command::Parked(args) => print_lines(ops::parked(&args.db.pool()?).await?),
        Command::DeadLetters(args) => print_lines(ops::dead_letters(args).await?),
        Command::Redrive(args) => print_lines([ops::redrive(args).await?]),
        Command::Rebuild(args) => {
            let shutdown = runtime::shutdown::on_signal();
            print_lines([ops::rebuild(args, shutdown).await?])
        }
        Command::RebuildDirectory(args) => {
            let shutdown = runtime::shutdown::on_signal();
            print_lines([directory::rebuild(args, shutdown).await?])
        }
        Command::RebuildCustomers(args) => {
            let shutdown = runtime::shutdown::on_signal();
            print_lines([customers::rebuild(args, shutdown).await?])
        }
    }
}

/// Operator output: one JSON object per line on stdout (logs go to stderr).
fn print_lines<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for item in items {
        serde_json::to_writer(&mut out, &item)?;
        writeln!(out)?;
    }
    Ok(())
}
