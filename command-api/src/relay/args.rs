//! The relay's settings.

#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    /// Name of the relay's checkpoint (and lock); one row in relay_checkpoints.
    #[arg(long = "relay-name", env = "RELAY_NAME", default_value = "kafka")]
    pub name: String,

    /// Most events published per batch. A batch is one produce round trip (its
    /// acknowledgements are awaited before the next), so a deep backlog drains faster in large
    /// ones: 300k stored events drained at 37k/s in batches of 500, 55k/s in 2,000, 50k/s in
    /// 5,000 (`./dev bench scale`). A shallow backlog makes small batches anyway.
    #[arg(
        long = "relay-batch-size",
        env = "RELAY_BATCH_SIZE",
        default_value_t = 2_000
    )]
    pub batch_size: i64,

    /// Longest wait between polls when no append notification arrives.
    #[arg(
        long = "relay-poll-interval-ms",
        env = "RELAY_POLL_INTERVAL_MS",
        default_value_t = 250
    )]
    pub poll_interval_ms: u64,

    /// How long the producer keeps trying to deliver one record before the batch fails.
    #[arg(
        long = "relay-message-timeout-ms",
        env = "RELAY_MESSAGE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub message_timeout_ms: u64,

    /// Longest back-off between failed steps (exponential with jitter from 100 ms).
    #[arg(
        long = "relay-max-backoff-ms",
        env = "RELAY_MAX_BACKOFF_MS",
        default_value_t = 10_000
    )]
    pub max_backoff_ms: u64,
}

impl Default for RelayArgs {
    fn default() -> Self {
        Self {
            name: "kafka".into(),
            batch_size: 2_000,
            poll_interval_ms: 250,
            message_timeout_ms: 30_000,
            max_backoff_ms: 10_000,
        }
    }
}
