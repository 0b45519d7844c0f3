//! `revocation-log`: prints every session revocation on the platform's sessions topic, one a
//! line, until interrupted.

use std::io::Write;
use std::ops::ControlFlow;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(name = "revocation-log", version, about)]
struct Cli {
    #[command(flatten)]
    source: revocation_log::Source,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    revocation_log::watch(&cli.source, |revocation| {
        // A closed stdout (the reader went away) ends the watch.
        match writeln!(std::io::stdout(), "{revocation}") {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    })
    .await
}
