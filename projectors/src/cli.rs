//! Command line and environment configuration of the `projectors` binary.

use clap::{Args, Parser, Subcommand};
use runtime::db::DatabaseArgs;
use runtime::http::HttpArgs;
use runtime::kafka::KafkaArgs;
use runtime::master_key::MasterKeyArgs;
use runtime::redis::RedisArgs;
use runtime::telemetry::TelemetryArgs;

use crate::engine::EngineArgs;

#[derive(Debug, Parser)]
#[command(name = "projectors", version, about = "Identity platform: projectors")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the projectors, with metrics and health endpoints.
    Run(RunArgs),
    /// List the streams parked after one of their events was dead-lettered.
    Parked(ParkedArgs),
    /// List the records on the dead-letter topics, with why each one failed.
    DeadLetters(DeadLetterArgs),
    /// Re-apply a parked stream from the event store and unpark it.
    Redrive(RedriveArgs),
    /// Rebuild the session cache from the start of the topic into a new generation, and
    /// switch reads to it once it has caught up.
    Rebuild(RebuildArgs),
    /// Rebuild the directory (users, roles, assignments) from the start of the users' and
    /// roles' topics into a new generation of its tables, and switch reads to it once it has
    /// caught up.
    RebuildDirectory(RebuildDirectoryArgs),
    /// Rebuild the customer directory from the start of the customers' topic into a new
    /// generation of its tables, and switch reads to it once it has caught up.
    RebuildCustomers(RebuildCustomersArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub http: HttpArgs,
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub session_cache: SessionCacheArgs,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    #[command(flatten)]
    pub customers: CustomersArgs,
    #[command(flatten)]
    pub master: MasterKeyArgs,
}

/// Settings of the customer directory projection.
#[derive(Debug, Clone, Args)]
pub struct CustomersArgs {
    /// Consumer group of the customer directory (generation n > 0 appends `.g<n>`).
    #[arg(
        long = "customers-consumer-group",
        env = "CUSTOMERS_CONSUMER_GROUP",
        default_value = "identity-customer-directory"
    )]
    pub consumer_group: String,
}

impl Default for CustomersArgs {
    fn default() -> Self {
        Self {
            consumer_group: "identity-customer-directory".into(),
        }
    }
}

/// Settings of the directory projections.
#[derive(Debug, Clone, Args)]
pub struct DirectoryArgs {
    /// Prefix of the directory's consumer groups: `<prefix>-users` and `<prefix>-roles`
    /// (generation n > 0 appends `.g<n>`).
    #[arg(
        long = "directory-consumer-group",
        env = "DIRECTORY_CONSUMER_GROUP",
        default_value = "identity-directory"
    )]
    pub group_prefix: String,
}

impl Default for DirectoryArgs {
    fn default() -> Self {
        Self {
            group_prefix: "identity-directory".into(),
        }
    }
}

/// Settings of the session-cache projection.
#[derive(Debug, Clone, Args)]
pub struct SessionCacheArgs {
    /// Consumer group of the session-cache projection (generation n > 0 uses `<group>.g<n>`).
    #[arg(
        long = "consumer-group",
        env = "CONSUMER_GROUP",
        default_value = "identity-session-cache"
    )]
    pub group: String,
    /// When the cache starts empty, sessions started this far back are rebuilt from the event
    /// store. Keep it at least the session lifetime.
    #[arg(long = "rebuild-window-secs", env = "REBUILD_WINDOW_SECS", default_value_t = 10 * 60 * 60)]
    pub rebuild_window_secs: i64,
    /// How often the active sessions are counted for the `identity_sessions_active` gauge.
    #[arg(
        long = "active-sessions-every-ms",
        env = "ACTIVE_SESSIONS_EVERY_MS",
        default_value_t = 15_000
    )]
    pub active_sessions_every_ms: u64,
}

impl SessionCacheArgs {
    /// The consumer group that feeds generation `generation`.
    pub fn group_of(&self, generation: u32) -> String {
        match generation {
            0 => self.group.clone(),
            n => format!("{}.g{n}", self.group),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ParkedArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DeadLetterArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RedriveArgs {
    /// The parked stream, e.g. `sessions-<principal id>`.
    #[arg(long)]
    pub stream: String,
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    /// Opens customers' events (a customer's stream only).
    #[command(flatten)]
    pub master: MasterKeyArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub session_cache: SessionCacheArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RebuildDirectoryArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub directory: DirectoryArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RebuildCustomersArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub customers: CustomersArgs,
    #[command(flatten)]
    pub master: MasterKeyArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
