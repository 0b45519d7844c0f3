//! The buckets in Redis, one GCRA timestamp per limit and subject, updated by one script call:
//! every instance shares them, and a bucket left alone expires once it is full again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use redis::Script;
use redis::aio::ConnectionManager;

use super::{Limit, LimitLabels, Throttle, ThrottleArgs, Throttled};

#[derive(Clone)]
pub struct RedisThrottle {
    conn: ConnectionManager,
    prefix: String,
    args: ThrottleArgs,
    script: Script,
    refused: Family<LimitLabels, Counter>,
    unavailable: Counter,
    /// Whether the last call failed: the log says when limits stop and start being checked,
    /// not once per request.
    failing: Arc<AtomicBool>,
}

impl std::fmt::Debug for RedisThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisThrottle")
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl RedisThrottle {
    pub fn new(
        conn: ConnectionManager,
        prefix: &str,
        args: ThrottleArgs,
        registry: &mut Registry,
    ) -> Self {
        let throttle = Self {
            conn,
            prefix: format!("{prefix}throttle:"),
            args,
            script: Script::new(include_str!("gcra.lua")),
            refused: Family::default(),
            unavailable: Counter::default(),
            failing: Arc::default(),
        };
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit (429)",
            throttle.refused.clone(),
        );
        // Every limit at zero: dashboards show 0, not no data.
        for limit in Limit::ALL {
            let labels = LimitLabels { limit: limit.key() };
            drop(throttle.refused.get_or_create(&labels));
        }
        registry.register(
            "rate_limit_unavailable",
            "Requests let through because the rate-limit buckets could not be reached",
            throttle.unavailable.clone(),
        );
        throttle
    }
}

#[async_trait]
impl Throttle for RedisThrottle {
    async fn take(&self, limit: Limit, subject: &str) -> Result<(), Throttled> {
        let per_minute = self.args.per_minute(limit);
        if per_minute == 0 {
            return Ok(());
        }
        let interval_us = 60_000_000 / u64::from(per_minute);
        let wait_us: Result<u64, _> = self
            .script
            .key(format!("{}{}:{subject}", self.prefix, limit.key()))
            .arg(interval_us)
            .arg(per_minute)
            .invoke_async(&mut self.conn.clone())
            .await;
        if wait_us.is_ok() && self.failing.swap(false, Ordering::Relaxed) {
            tracing::info!("rate limits checked again: Redis is back");
        }
        match wait_us {
            Ok(0) => Ok(()),
            Ok(wait) => {
                self.refused
                    .get_or_create(&LimitLabels { limit: limit.key() })
                    .inc();
                Err(Throttled {
                    limit,
                    retry_after: Duration::from_micros(wait),
                })
            }
            Err(error) => {
                self.unavailable.inc();
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%error, "rate limits not checked until Redis answers again");
                }
                Ok(())
            }
        }
    }
}
