//! Auth numbers on this machine, in one run, against the real services (Postgres, Redis,
//! Apache Kafka, the dev registry) with the three servers as processes, logging as in production:
//!
//! - password logins/s with Keycloak's argon2id parameters (m=7 MiB, t=5, p=1), next to the
//!   raw argon2id verify rate with the same parameters;
//! - refreshes/s;
//! - introspections/s with p50/p99, next to a bare handler doing one Redis GET;
//! - commit → applied by the session-cache projector, p50/p99, under that load;
//! - each server's resident memory once started and after a burst of 40 clients logging in at once.
//!
//! Run: `./dev bench auth` (about two minutes). Prints Markdown: the measurements, then the
//! goals, each a ratio to the raw limit of the same run or a bound.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod bare;
mod cpu;
mod load;
mod phases;
mod platform;

use std::sync::Arc;
use std::time::Duration;

use command_api::auth::passwords::PasswordArgs;
use devtools::report::{Goal, Row, markdown};
use load::{NextRequest, Stats, drive, post_json};
use phases::{hammer, latency_note, raw_verify};
use serde_json::{Value, json};

const PHASE: Duration = Duration::from_secs(10);
const USERS: usize = 16;
const BURST_CLIENTS: usize = 40;
const PER_ANSWER: &str = "each process's CPU time over the phase above, per answer";
/// The two goals read per second of the services' own CPU, as Keycloak's sizing guide counts
/// its pods' vCPUs and sizes the database apart (the broker, Redis and Postgres here share the
/// cores, and run on machines of their own in production).
const SERVICES_LOGINS: &str = "password logins per second of the services' CPU";
const SERVICES_REFRESHES: &str = "refreshes per second of the services' CPU";

/// Keycloak's default: argon2id, 7 MiB, 5 iterations, 1 lane.
fn keycloak_argon2() -> PasswordArgs {
    PasswordArgs {
        memory_kib: 7 * 1024,
        iterations: 5,
        parallelism: 1,
        ..PasswordArgs::default()
    }
}

#[tokio::main(worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == bare::FLAG) {
        return bare::serve().await;
    }
    let platform = platform::Platform::start(keycloak_argon2()).await?;
    let users = platform.users(USERS).await?;
    let rss_at_start = platform.rss_mb();
    let mut rows = Vec::new();

    let raw = raw_verify().await?;
    rows.push(Row::new(
        "raw argon2id verify (m=7 MiB, t=5, p=1)",
        format!("{:.1}/s", raw.per_second),
        format!(
            "{USERS} verifications in flight on the blocking pool, nothing else: the physical \
             limit of a password login here; {:.1} per second of CPU",
            raw.per_cpu_second
        ),
    ));
    cpu::quiet(&platform).await?;
    let before = cpu::sample(&platform, None).await?;
    let mut logins = drive(
        platform.command,
        PHASE,
        users
            .iter()
            .map(|(login, password)| -> NextRequest {
                let body = json!({ "login": login, "password": password }).to_string();
                let addr = platform.command;
                Box::new(move |_| Some(post_json(addr, "/v1/auth/login", body.clone())))
            })
            .collect(),
    )
    .await;
    rows.push(Row::new(
        "password logins (argon2id m=7 MiB, t=5, p=1)",
        format!("{:.1}/s", logins.per_second()),
        format!(
            "{USERS} users logging in concurrently; p50 {:.0} ms, p99 {:.0} ms; {} failed",
            logins.percentile_ms(0.5),
            logins.percentile_ms(0.99),
            logins.failed
        ),
    ));
    let after = cpu::sample(&platform, None).await?;
    let logins_per_service_second =
        logins.ok as f64 / cpu::services_seconds(&platform, &before, &after);
    let spent = cpu::per_request(&before, &after, logins.ok);
    rows.push(Row::new("CPU per login", spent, PER_ANSWER));

    platform.settle().await?;
    // Two sessions per user, each refreshed in a chain (every answer has the next token).
    let mut chains = Vec::new();
    for (login, password) in users.iter().chain(users.iter()) {
        chains.push(platform.login(login, password).await?);
    }
    let latest: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    cpu::quiet(&platform).await?;
    let before = cpu::sample(&platform, None).await?;
    let mut refreshes = drive(
        platform.command,
        PHASE,
        chains
            .iter()
            .enumerate()
            .map(|(i, session)| -> NextRequest {
                let addr = platform.command;
                let mut token = session["refresh_token"].as_str().unwrap().to_owned();
                let latest = latest.clone();
                Box::new(move |previous| {
                    if let Some(answer) =
                        previous.and_then(|b| serde_json::from_slice::<Value>(b).ok())
                    {
                        token = answer["refresh_token"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        let access = answer["access_token"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        let mut latest = latest.lock().unwrap();
                        if latest.len() <= i {
                            latest.resize(i + 1, String::new());
                        }
                        latest[i] = access;
                    }
                    let body = json!({ "refresh_token": token }).to_string();
                    Some(post_json(addr, "/v1/auth/refresh", body))
                })
            })
            .collect(),
    )
    .await;
    rows.push(Row::new(
        "refreshes",
        format!("{:.0}/s", refreshes.per_second()),
        format!(
            "{} chains (rotate, append, write through, sign); p50 {:.1} ms, p99 {:.1} ms; {} failed",
            chains.len(),
            refreshes.percentile_ms(0.5),
            refreshes.percentile_ms(0.99),
            refreshes.failed
        ),
    ));
    let after = cpu::sample(&platform, None).await?;
    let refreshes_per_service_second =
        refreshes.ok as f64 / cpu::services_seconds(&platform, &before, &after);
    let spent = cpu::per_request(&before, &after, refreshes.ok);
    rows.push(Row::new("CPU per refresh", spent, PER_ANSWER));

    platform.settle().await?;
    let tokens: Vec<String> = latest
        .lock()
        .unwrap()
        .iter()
        .filter(|t| !t.is_empty())
        .cloned()
        .collect();
    let caller = platform.introspector().await?;
    let introspect = "/v1/tokens/introspect";
    cpu::quiet(&platform).await?;
    let before = cpu::sample(&platform, None).await?;
    let mut introspections = hammer(platform.query, introspect, &tokens, &caller).await;
    let spent = cpu::per_request(
        &before,
        &cpu::sample(&platform, None).await?,
        introspections.ok,
    );
    rows.push(Row::new(
        "introspections",
        format!("{:.0}/s", introspections.per_second()),
        latency_note(
            &mut introspections,
            "the caller's and the token's EdDSA JWTs (remembered once verified), one Redis read of \
             session and grants for each, JSON answer",
        ),
    ));
    rows.push(Row::new("CPU per introspection", spent, PER_ANSWER));
    let bare = bare::start(&platform).await?;
    cpu::quiet(&platform).await?;
    let before = cpu::sample(&platform, Some(&bare)).await?;
    let mut baseline = hammer(bare.addr, "/bare", &tokens, &caller).await;
    let spent = cpu::per_request(
        &before,
        &cpu::sample(&platform, Some(&bare)).await?,
        baseline.ok,
    );
    drop(bare);
    rows.push(Row::new(
        "bare handler: one Redis GET",
        format!("{:.0}/s", baseline.per_second()),
        latency_note(
            &mut baseline,
            "same load, same HTTP stack and request log, its own process; no token or session check",
        ),
    ));
    rows.push(Row::new("CPU per bare answer", spent, PER_ANSWER));

    let lag = platform.projector_lag().await?;
    rows.push(Row::new(
        "commit → applied by the session-cache projector, p50 / p99",
        format!("{:.1} ms / {:.1} ms", lag.0 * 1000.0, lag.1 * 1000.0),
        "every session event of the runs above, from the projector's histogram; a login is \
         visible in Redis before its answer anyway: command-api writes through",
    ));

    let (burst, rss) = login_burst(&platform, &users).await;
    for ((name, after), (_, before)) in rss.iter().zip(&rss_at_start) {
        rows.push(Row::new(
            format!("{name}: resident memory after a login burst"),
            format!("{after:.0} MB"),
            format!(
                "{BURST_CLIENTS} clients logging in at once for {}s ({:.0} logins/s, {} failed), \
                 after the phases above; {before:.0} MB once started, before any load",
                PHASE.as_secs(),
                burst.per_second(),
                burst.failed
            ),
        ));
    }

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let goals = [
        Goal::share(
            "password logins/s",
            logins.per_second(),
            raw.per_second,
            0.9,
        ),
        Goal::share(
            SERVICES_LOGINS,
            logins_per_service_second,
            raw.per_cpu_second,
            0.9,
        ),
        Goal::at_least(
            "refreshes per core",
            refreshes.per_second() / cores,
            1200.0,
            "/s",
        ),
        Goal::at_least(
            SERVICES_REFRESHES,
            refreshes_per_service_second,
            1200.0,
            "/s",
        ),
        Goal::share(
            "introspections/s",
            introspections.per_second(),
            baseline.per_second(),
            0.8,
        ),
        Goal::at_most(
            "introspection p99",
            introspections.percentile_ms(0.99),
            5.0,
            "ms",
        ),
        Goal::at_most(
            "commit → applied by the projector p99",
            lag.1 * 1000.0,
            100.0,
            "ms",
        ),
    ];
    let goals =
        goals.into_iter().chain(rss.iter().map(|(name, mb)| {
            Goal::at_most(&format!("{name} RSS after the burst"), *mb, 100.0, "MB")
        }));
    print!("{}", markdown(&rows, &goals.collect::<Vec<_>>()));
    Ok(())
}

/// `BURST_CLIENTS` connections logging in over and over for a phase; the stats and each
/// server's RSS (MB) just after.
async fn login_burst(
    platform: &platform::Platform,
    users: &[(String, String)],
) -> (Stats, Vec<(&'static str, f64)>) {
    let burst = drive(
        platform.command,
        PHASE,
        (0..BURST_CLIENTS)
            .map(|c| -> NextRequest {
                let (login, password) = &users[c % users.len()];
                let body = json!({ "login": login, "password": password }).to_string();
                let addr = platform.command;
                Box::new(move |_| Some(post_json(addr, "/v1/auth/login", body.clone())))
            })
            .collect(),
    )
    .await;
    (burst, platform.rss_mb())
}
