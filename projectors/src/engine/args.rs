//! The engine's settings.

/// How the runtime processes records (the same for every projection).
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Most records being applied at once (records of one stream still go one at a time);
    /// up to 16 times as many may wait, received, behind the earlier records of their stream.
    #[arg(
        long = "concurrency",
        env = "PROJECTOR_CONCURRENCY",
        default_value_t = 64
    )]
    pub concurrency: usize,
    /// Longest back-off between retries of a failing event (exponential with jitter).
    #[arg(
        long = "retry-max-backoff-ms",
        env = "RETRY_MAX_BACKOFF_MS",
        default_value_t = 5_000
    )]
    pub max_backoff_ms: u64,
    /// How long one event may keep failing for a passing reason, on a read model that
    /// answers, before it is dead-lettered. While the read model's store is down, events are
    /// retried however long that lasts.
    #[arg(
        long = "retry-budget-secs",
        env = "RETRY_BUDGET_SECS",
        default_value_t = 300
    )]
    pub retry_budget_secs: u64,
    /// On SIGTERM, how long events in flight may take to finish before the process leaves.
    #[arg(
        long = "shutdown-grace-secs",
        env = "SHUTDOWN_GRACE_SECS",
        default_value_t = 10
    )]
    pub shutdown_grace_secs: u64,
    /// How long the group waits for a member that stopped answering (killed, partitioned)
    /// before giving its partitions to the others.
    #[arg(
        long = "kafka-session-timeout-ms",
        env = "KAFKA_SESSION_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub session_timeout_ms: u64,
    /// How long the group waits for a member that answers but stopped polling. The engine
    /// keeps polling while its buffer is full (its partitions paused), so this bounds only a
    /// stuck process.
    #[arg(
        long = "kafka-max-poll-interval-ms",
        env = "KAFKA_MAX_POLL_INTERVAL_MS",
        default_value_t = 600_000
    )]
    pub max_poll_interval_ms: u64,
}

impl Default for EngineArgs {
    fn default() -> Self {
        Self {
            concurrency: 64,
            max_backoff_ms: 5_000,
            retry_budget_secs: 300,
            shutdown_grace_secs: 10,
            session_timeout_ms: 10_000,
            max_poll_interval_ms: 600_000,
        }
    }
}
