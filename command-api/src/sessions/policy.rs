//! The parameters of the session rules.

use chrono::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct SessionArgs {
    /// A session ends when unused (no refresh) for this long.
    #[arg(long = "session-idle-timeout-secs", env = "SESSION_IDLE_TIMEOUT_SECS", default_value_t = 30 * 60)]
    pub idle_timeout_secs: i64,
    /// A session ends this long after login, however it is used.
    #[arg(long = "session-lifetime-secs", env = "SESSION_LIFETIME_SECS", default_value_t = 10 * 60 * 60)]
    pub lifetime_secs: i64,
    /// Most active sessions per principal; the next login evicts the least recently used.
    #[arg(long = "session-limit", env = "SESSION_LIMIT", default_value_t = 5)]
    pub limit: usize,
    /// How long a just-spent refresh token may be presented again (a client retrying a refresh
    /// whose answer it lost) before it counts as reuse and revokes the session.
    #[arg(
        long = "refresh-reuse-grace-secs",
        env = "REFRESH_REUSE_GRACE_SECS",
        default_value_t = 0
    )]
    pub refresh_grace_secs: i64,
}

impl Default for SessionArgs {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 30 * 60,
            lifetime_secs: 10 * 60 * 60,
            limit: 5,
            refresh_grace_secs: 0,
        }
    }
}

/// The session rules' parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_timeout: Duration,
    pub lifetime: Duration,
    pub limit: usize,
    pub refresh_grace: Duration,
}

impl From<&SessionArgs> for SessionPolicy {
    fn from(args: &SessionArgs) -> Self {
        Self {
            idle_timeout: Duration::seconds(args.idle_timeout_secs),
            lifetime: Duration::seconds(args.lifetime_secs),
            limit: args.limit,
            refresh_grace: Duration::seconds(args.refresh_grace_secs),
        }
    }
}
