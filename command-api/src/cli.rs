//! Command line and environment configuration of the `command-api` binary.

use clap::{Args, Parser, Subcommand};
use runtime::db::DatabaseArgs;
use runtime::http::HttpArgs;
use runtime::kafka::KafkaArgs;
use runtime::redis::RedisArgs;
use runtime::telemetry::TelemetryArgs;

use crate::auth::config::{MasterKeyArgs, TokenArgs};
use crate::auth::lockout::LockoutArgs;
use crate::auth::passwords::PasswordArgs;
use crate::auth::throttle::ThrottleArgs;
use crate::relay::RelayArgs;
use crate::sessions::SessionArgs;

#[derive(Debug, Parser)]
#[command(name = "command-api", version, about = "Identity platform: write side")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the command API, with the relay to Kafka running beside it.
    Serve(Box<ServeArgs>),
    /// Run only the relay (several may run; one publishes at a time).
    Relay(RelayOnlyArgs),
    /// Apply the database migrations.
    Migrate {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Create the Kafka topics (events and dead letters of every category).
    CreateTopics {
        #[command(flatten)]
        kafka: KafkaArgs,
    },
    /// Create the first admin (a user with every permission), once; later runs do nothing.
    BootstrapAdmin(BootstrapArgs),
    /// Sign with a new key from now on; the old key keeps verifying until its tokens expire.
    RotateSigningKey(RotateArgs),
    /// Withdraw a (compromised) signing key at once: its tokens stop verifying everywhere.
    RetireSigningKey(RetireArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub tokens: TokenArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RetireArgs {
    /// The `kid` of the key to withdraw.
    #[arg(long)]
    pub kid: String,
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub tokens: TokenArgs,
}

#[derive(Debug, Clone, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The admin's login is stored as a keyed hash, keyed by the master key.
    #[command(flatten)]
    pub master: MasterKeyArgs,
    #[command(flatten)]
    pub passwords: PasswordArgs,
    /// The admin's login (an email address).
    #[arg(long = "login", env = "BOOTSTRAP_ADMIN_LOGIN")]
    pub login: String,
    /// The admin's password; generated and printed when not given.
    #[arg(
        long = "password",
        env = "BOOTSTRAP_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub relay: RelayArgs,
    #[command(flatten)]
    pub tokens: TokenArgs,
    #[command(flatten)]
    pub passwords: PasswordArgs,
    #[command(flatten)]
    pub sessions: SessionArgs,
    #[command(flatten)]
    pub lockout: LockoutArgs,
    #[command(flatten)]
    pub throttle: ThrottleArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    /// Run the relay inside this process.
    #[arg(long = "relay-enabled", env = "RELAY_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub relay_enabled: bool,
    /// How often what committed commands still owe other streams is settled: session
    /// revocations their process did not append (a debt younger than this is left to its
    /// command), a deleted role's unassignments from its holders.
    #[arg(long = "owed-sweep-ms", env = "OWED_SWEEP_MS", default_value_t = 5_000)]
    pub owed_sweep_ms: u64,
    /// Memory for the states commands left their streams in, so the next command on a stream
    /// decides without reading it (MiB, estimated; 0 reads every stream every time).
    #[arg(
        long = "kept-states-mib",
        env = "KEPT_STATES_MIB",
        default_value_t = 16
    )]
    pub kept_states_mib: u64,
}

#[derive(Debug, Clone, Args)]
pub struct RelayOnlyArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub relay: RelayArgs,
    /// Address of the relay's own metrics and health endpoints.
    #[arg(long = "listen", env = "LISTEN_ADDR", default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
