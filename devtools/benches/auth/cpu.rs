//! Where a phase's CPU went: each process's CPU time before and after it, per request served,
//! so the largest part is found by measuring rather than guessed.

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
    let redis_cpu = ["used_cpu_sys:", "used_cpu_user:"]
        .iter()
        .filter_map(|field| {
            let line = info.lines().find(|l| l.starts_with(field))?;
            line[field.len()..].trim().parse::<f64>().ok()
        })
        .sum();
    used.push(("redis".to_owned(), redis_cpu));
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
