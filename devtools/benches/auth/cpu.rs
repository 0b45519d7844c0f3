//! Where a phase's CPU went: each process's CPU time before and after it, per request served,
//! so the largest part is found by measuring rather than guessed.

use std::time::{Duration, Instant};

use devtools::procfs;

use crate::platform::{Platform, Server};

/// CPU seconds used so far by the platform's servers and `extra`, Redis (its own count,
/// `INFO cpu`), Postgres (every `postgres` process), the broker (every `java` process) and
/// this bench process (the load generator).
pub async fn sample(
    platform: &Platform,
    extra: Option<&Server>,
) -> anyhow::Result<Vec<(String, f64)>> {
    let mut used = Vec::new();
    for server in platform.servers.iter().chain(extra) {
        used.push((server.name.to_owned(), procfs::cpu_seconds(server.pid())?));
    }
    used.push((
        "postgres".to_owned(),
        procfs::cpu_seconds_of_every("postgres")?,
    ));
    used.push(("broker".to_owned(), procfs::cpu_seconds_of_every("java")?));
    let mut conn = platform.stack.redis.connect()?;
    let info: String = redis::cmd("INFO").arg("cpu").query_async(&mut conn).await?;
    used.push(("redis".to_owned(), procfs::redis_cpu_seconds(&info)));
    used.push((
        "load generator".to_owned(),
        procfs::cpu_seconds(std::process::id())?,
    ));
    Ok(used)
}

/// Each process's CPU between `before` and `after` per request, in µs: "query-api 52 µs, …".
pub fn per_request(before: &[(String, f64)], after: &[(String, f64)], requests: usize) -> String {
    let requests = requests.max(1) as f64;
    before
        .iter()
        .zip(after)
        .map(|((name, b), (_, a))| format!("{name} {:.0} µs", (a - b) * 1e6 / requests))
        .collect::<Vec<_>>()
        .join(", ")
}

/// CPU seconds the platform's own servers (command-api with its relay, projectors, query-api)
/// used between `before` and `after`. Keycloak's sizing guide counts the vCPUs of its own pods
/// and sizes the database apart; this is the same measure for this platform.
pub fn services_seconds(
    platform: &Platform,
    before: &[(String, f64)],
    after: &[(String, f64)],
) -> f64 {
    before
        .iter()
        .zip(after)
        .filter(|((name, _), _)| platform.servers.iter().any(|s| s.name == name))
        .map(|((_, b), (_, a))| a - b)
        .sum()
}

/// Below this share of one core, summed over every process but the load generator, the stack
/// counts as idle (an idle stack here uses ~0.1: the projectors' and the broker's fetch loops).
const IDLE_CORES: f64 = 0.2;
/// How long [`quiet`] waits for the stack to go idle before measuring anyway.
const QUIET_WAIT: Duration = Duration::from_secs(60);

/// Waits until the stack is idle, so that one phase's after-work (autovacuum after a burst of
/// appends, the broker flushing its log, a relay or projector draining) is not counted in the
/// next phase's CPU and rate. Says on stderr what it waited for.
pub async fn quiet(platform: &Platform) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let before = sample(platform, None).await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = sample(platform, None).await?;
        let busy: Vec<(&str, f64)> = before
            .iter()
            .zip(&after)
            .filter(|((name, _), _)| name != "load generator")
            .map(|((name, b), (_, a))| (name.as_str(), a - b))
            .collect();
        let total: f64 = busy.iter().map(|(_, cores)| cores).sum();
        if total < IDLE_CORES || started.elapsed() > QUIET_WAIT {
            if started.elapsed() > Duration::from_secs(2) {
                let busiest = busy
                    .iter()
                    .map(|(name, cores)| format!("{name} {cores:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                eprintln!(
                    "waited {:.0} s for the stack to go idle; last second, in cores: {busiest}",
                    started.elapsed().as_secs_f64()
                );
            }
            return Ok(());
        }
    }
}
