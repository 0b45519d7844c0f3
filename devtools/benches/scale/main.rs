//! How cost grows with the number of sessions. For each tier (10k and 100k live sessions by
//! default; `SCALE_SESSIONS=10000,100000,1000000` for more), sessions are bulk-loaded into the
//! event store (each a start and two refreshes, 200 principals a transaction), relayed to
//! Apache Kafka, and the session cache is rebuilt from offset 0 of the topic into a new
//! generation, as `projectors rebuild` does. Then the three servers start on that stack (as
//! processes) and logins and refreshes are timed one at a time. Reported per tier: the load,
//! relay and rebuild rates, Redis memory per session, the events table's and its indexes'
//! size, and login and refresh latency.
//!
//! Run: `./dev bench scale`. Prints Markdown: the measurements, then the goals.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod latency;
mod load;
#[allow(dead_code)]
#[path = "../auth/platform/mod.rs"]
mod platform;

use std::time::{Duration, Instant};

use command_api::auth::passwords::PasswordArgs;
use command_api::relay::{Publisher, Relay, RelayArgs, RelayMetrics, StepOutcome};
use devtools::report::{Goal, Row, markdown};
use devtools::testing::TestStack;
use projectors::cli::{RebuildArgs, SessionCacheArgs};
use projectors::engine::EngineArgs;
use store::session_cache::SessionCache;
use tokio_util::sync::CancellationToken;

const EVENTS_PER_SESSION: usize = 3;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let tiers: Vec<usize> = std::env::var("SCALE_SESSIONS")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    let mut goals = Vec::new();
    for sessions in tiers {
        let tier = measure(sessions).await?;
        rows.extend(tier.rows(sessions));
        goals.push(Goal::at_least(
            &format!("rebuild from offset 0 into Redis, {sessions} sessions"),
            tier.rebuild_rate,
            50_000.0,
            "events/s",
        ));
        goals.push(Goal::at_most(
            &format!("Redis per session, {sessions} sessions"),
            tier.redis_bytes_per_session,
            512.0,
            "B",
        ));
    }
    print!("{}", markdown(&rows, &goals));
    Ok(())
}

/// What one tier measured.
struct Tier {
    load_rate: f64,
    relay_rate: f64,
    rebuild_rate: f64,
    /// CPU per event over the rebuild, in µs: the rebuilding process, the broker, Redis.
    rebuild_cpu: [f64; 3],
    redis_bytes_per_session: f64,
    events_table_mb: f64,
    events_indexes_mb: f64,
    latency: latency::Latency,
}

impl Tier {
    fn rows(&self, sessions: usize) -> Vec<Row> {
        let events = sessions * EVENTS_PER_SESSION;
        let at = |what: &str| format!("{what}, {sessions} sessions ({events} events)");
        vec![
            Row::new(
                at("bulk load into the event store"),
                format!("{:.0} events/s", self.load_rate),
                "4 loaders, 200 principals (600 events) a transaction",
            ),
            Row::new(
                at("relay drain"),
                format!("{:.0} events/s", self.relay_rate),
                format!(
                    "read, Avro-encode, produce, await acks, checkpoint; batches of {} \
                     (RELAY_BATCH_SIZE)",
                    relay_args().batch_size
                ),
            ),
            Row::new(
                at("rebuild from offset 0 into Redis"),
                format!("{:.0} events/s", self.rebuild_rate),
                format!(
                    "`projectors rebuild`: a new generation caught up with the topic, then \
                     switched; {} records applied at once (PROJECTOR_CONCURRENCY)",
                    engine_args().concurrency
                ),
            ),
            Row::new(
                at("CPU per rebuilt event"),
                format!(
                    "projector {:.1} µs, broker {:.1} µs, Redis {:.1} µs",
                    self.rebuild_cpu[0], self.rebuild_cpu[1], self.rebuild_cpu[2]
                ),
                "each one's CPU time over the rebuild, per event: the rebuilding process \
                 (this one), every `java` process, Redis's `INFO cpu`",
            ),
            Row::new(
                at("Redis memory per session"),
                format!("{:.0} B", self.redis_bytes_per_session),
                "`used_memory` after the rebuild minus before, over the sessions: the \
                 principal's sessions hash (entry and version), the active-sessions counts",
            ),
            Row::new(
                at("Postgres events table / its indexes"),
                format!(
                    "{:.0} MB / {:.0} MB",
                    self.events_table_mb, self.events_indexes_mb
                ),
                "`pg_table_size` and `pg_indexes_size` of `events`",
            ),
            Row::new(
                at("password login, p50 / p99"),
                format!(
                    "{:.1} ms / {:.1} ms",
                    self.latency.login.0, self.latency.login.1
                ),
                "one at a time, argon2id with the default parameters (m=19 MiB, t=2)",
            ),
            Row::new(
                at("refresh, p50 / p99"),
                format!(
                    "{:.1} ms / {:.1} ms",
                    self.latency.refresh.0, self.latency.refresh.1
                ),
                "one at a time, a chain of one session",
            ),
        ]
    }
}

async fn measure(sessions: usize) -> anyhow::Result<Tier> {
    let stack = TestStack::start().await;
    let started = Instant::now();
    load::sessions(&stack.db.pool, sessions).await?;
    let load_rate = (sessions * EVENTS_PER_SESSION) as f64 / started.elapsed().as_secs_f64();

    let relay_rate = drain(&stack).await?;

    let before = load::redis_used_memory(&stack.redis).await?;
    let cpu_before = load::cpu_seconds(&stack.redis).await?;
    let started = Instant::now();
    let rebuilt = projectors::ops::rebuild(
        RebuildArgs {
            db: stack.db.db_args(),
            kafka: stack.kafka.clone(),
            redis: stack.redis.clone(),
            engine: engine_args(),
            session_cache: SessionCacheArgs {
                group: format!("{}session-cache", stack.kafka.topic_prefix),
                rebuild_window_secs: 36_000,
                active_sessions_every_ms: 15_000,
            },
        },
        CancellationToken::new(),
    )
    .await?;
    // The rebuild waits two polls after its switch for every process to follow.
    let elapsed = started
        .elapsed()
        .saturating_sub(store::generations::POLL * 2);
    let consumed: i64 = rebuilt.partitions.values().sum();
    let cpu_after = load::cpu_seconds(&stack.redis).await?;
    let rebuild_cpu =
        std::array::from_fn(|i| (cpu_after[i] - cpu_before[i]) * 1e6 / consumed.max(1) as f64);
    let after = load::redis_used_memory(&stack.redis).await?;
    let (table, indexes) = load::events_size(&stack.db.pool).await?;
    let platform = platform::Platform::start_on(stack, PasswordArgs::default()).await?;
    platform.settle().await?;
    let latency = latency::measure(&platform).await?;
    let redis = &platform.stack.redis;
    // What the tier wrote, so tiers and runs do not add up in the shared Redis.
    SessionCache::new(redis.connect()?, redis.key_prefix.clone())
        .on_generation(rebuilt.generation)
        .clear()
        .await?;
    Ok(Tier {
        load_rate,
        relay_rate,
        rebuild_rate: consumed as f64 / elapsed.as_secs_f64(),
        rebuild_cpu,
        redis_bytes_per_session: after.saturating_sub(before) as f64 / sessions as f64,
        events_table_mb: table as f64 / 1e6,
        events_indexes_mb: indexes as f64 / 1e6,
        latency,
    })
}

/// Relays everything stored; events per second.
async fn drain(stack: &TestStack) -> anyhow::Result<f64> {
    let args = relay_args();
    let relay = Relay::new(
        stack.db.pool.clone(),
        stack.db.db_args().connect_options()?,
        Publisher::new(&stack.kafka, Duration::from_millis(args.message_timeout_ms))?,
        RelayMetrics::default(),
        args,
    );
    let mut pipeline = relay.pipeline(relay.load_checkpoint().await?);
    let started = Instant::now();
    let mut published = 0;
    while let StepOutcome::Published(n) = pipeline.step().await? {
        published += n;
    }
    Ok(published as f64 / started.elapsed().as_secs_f64())
}

/// The relay's settings as the server reads them: its defaults, `RELAY_BATCH_SIZE` to compare.
fn relay_args() -> RelayArgs {
    let defaults = RelayArgs::default();
    RelayArgs {
        batch_size: std::env::var("RELAY_BATCH_SIZE")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(defaults.batch_size),
        ..defaults
    }
}

/// The projector engine's settings as the server reads them: its defaults,
/// `PROJECTOR_CONCURRENCY` to compare.
fn engine_args() -> EngineArgs {
    let defaults = EngineArgs::default();
    EngineArgs {
        concurrency: std::env::var("PROJECTOR_CONCURRENCY")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(defaults.concurrency),
        ..defaults
    }
}
