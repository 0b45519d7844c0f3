//! `dev-registry`: the development stand-in for the Confluent Schema Registry (see
//! `devtools::registry`). docker-compose and production use the real Confluent registry.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;
use runtime::telemetry::TelemetryArgs;
use secrecy::{ExposeSecret, SecretString};

/// A development stand-in for the Confluent Schema Registry: AVRO schemas only, stored in its own
/// Postgres database so schema ids survive restarts.
///
/// For local runs and tests only. docker-compose and production use the real Confluent Schema
/// Registry; this serves just the REST subset the platform's Kafka clients call.
#[derive(Debug, Parser)]
#[command(name = "dev-registry", version, about, long_about)]
struct Args {
    /// Address the registry listens on.
    #[arg(long, env = "SCHEMA_REGISTRY_LISTEN", default_value = "127.0.0.1:8081")]
    listen: SocketAddr,

    /// Postgres URL of the registry's own database; created and migrated at start if missing.
    #[arg(
        long,
        env = "SCHEMA_REGISTRY_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/schema_registry",
        hide_env_values = true,
        value_parser = secret
    )]
    database_url: SecretString,

    #[command(flatten)]
    telemetry: TelemetryArgs,
}

fn secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _telemetry = runtime::telemetry::init("dev-registry", &args.telemetry)?;
    let pool = devtools::registry::prepare(args.database_url.expose_secret())
        .await
        .context("prepare the registry database")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listen on {}", args.listen))?;
    devtools::registry::serve(listener, pool, runtime::shutdown::on_signal())
        .await
        .context("serve the registry")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Args::command().debug_assert();
    }
}
