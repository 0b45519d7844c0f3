//! Redis connection settings shared by the projectors and the query API.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

#[derive(Debug, Clone, clap::Args)]
pub struct RedisArgs {
    /// Redis URL of the session cache.
    #[arg(
        long = "redis-url",
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379"
    )]
    pub url: String,
    /// Prefix of every key the platform writes, so deployments (or tests) can share a server.
    #[arg(
        long = "redis-key-prefix",
        env = "REDIS_KEY_PREFIX",
        default_value = "identity:"
    )]
    pub key_prefix: String,
}

impl RedisArgs {
    /// A connection that is made on first use and remade after failures, so a server starts
    /// (and reports not ready) while Redis is down.
    pub fn connect(&self) -> redis::RedisResult<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        ConnectionManager::new_lazy_with_config(redis::Client::open(self.url.as_str())?, config)
    }
}

/// `/readyz` check: Redis answers PING.
#[derive(Clone)]
pub struct RedisReadiness(pub ConnectionManager);

impl std::fmt::Debug for RedisReadiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisReadiness")
    }
}

#[async_trait::async_trait]
impl crate::http::Readiness for RedisReadiness {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> Result<(), String> {
        let mut conn = self.0.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
