//! Auth numbers on this machine, in one run, against the real services (Postgres, Redis,
//! Apache Kafka, the dev registry) with the three servers in this process, logging as in production:
//!
//! - password logins/s with Keycloak's argon2id parameters (m=7 MiB, t=5, p=1), next to the
//!   raw argon2id verify rate with the same parameters;
//! - refreshes/s;
//! - introspections/s with p50/p99, next to a bare handler doing one Redis GET;
//! - commit → applied by the session-cache projector, p50/p99, under that load.
//!
//! Run: `./dev test` once (installs the stack), then
//! `cargo bench -p devtools --bench auth` (about two minutes). Prints a Markdown table.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

mod load;
mod platform;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use command_api::auth::passwords::{PasswordArgs, Passwords};
use load::{NextRequest, Stats, drive, post_json, post_json_as};
use serde_json::{Value, json};

const PHASE: Duration = Duration::from_secs(10);
const USERS: usize = 16;

/// Keycloak's default: argon2id, 7 MiB, 5 iterations, 1 lane.
fn keycloak_argon2() -> PasswordArgs {
    PasswordArgs {
        memory_kib: 7 * 1024,
        iterations: 5,
        parallelism: 1,
        ..PasswordArgs::default()
    }
}

struct Row(&'static str, String, String);

#[tokio::main(worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let platform = platform::Platform::start(keycloak_argon2()).await?;
    let users = platform.users(USERS).await?;
    let mut rows = Vec::new();

    rows.push(raw_verify_rate().await);
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
    rows.push(Row(
        "password logins (argon2id m=7 MiB, t=5, p=1)",
        format!("{:.1}/s", logins.per_second()),
        format!(
            "{USERS} users logging in concurrently; p50 {:.0} ms, p99 {:.0} ms; {} failed",
            logins.percentile_ms(0.5),
            logins.percentile_ms(0.99),
            logins.failed
        ),
    ));

    platform.settle().await?;
    // Two sessions per user, each refreshed in a chain (every answer has the next token).
    let mut chains = Vec::new();
    for (login, password) in users.iter().chain(users.iter()) {
        chains.push(platform.login(login, password).await?);
    }
    let latest: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
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
    rows.push(Row(
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
    let mut introspections = hammer(platform.query, introspect, &tokens, &caller).await;
    rows.push(Row(
        "introspections",
        format!("{:.0}/s", introspections.per_second()),
        latency_note(
            &mut introspections,
            "verify EdDSA JWT, one Redis HGETALL, JSON answer",
        ),
    ));
    let bare = platform.bare_redis_handler().await?;
    let mut baseline = hammer(bare, "/bare", &tokens, &caller).await;
    rows.push(Row(
        "bare handler: one Redis GET",
        format!("{:.0}/s", baseline.per_second()),
        latency_note(
            &mut baseline,
            "same load, same HTTP stack minus token and session checks",
        ),
    ));

    let lag = platform.projector_lag().await?;
    rows.push(Row(
        "commit → applied by the session-cache projector, p50",
        format!("{:.1} ms", lag.0 * 1000.0),
        "every session event of the runs above, from the projector's histogram".into(),
    ));
    rows.push(Row(
        "commit → applied by the session-cache projector, p99",
        format!("{:.1} ms", lag.1 * 1000.0),
        "a login is visible in Redis before its answer anyway: command-api writes through".into(),
    ));

    println!("| measurement | result | notes |");
    println!("|---|---|---|");
    for Row(what, result, notes) in rows {
        println!("| {what} | {result} | {notes} |");
    }
    Ok(())
}

fn latency_note(stats: &mut Stats, what: &str) -> String {
    format!(
        "{what}; 32 connections; p50 {:.2} ms, p99 {:.2} ms; {} failed",
        stats.percentile_ms(0.5),
        stats.percentile_ms(0.99),
        stats.failed
    )
}

/// 32 connections posting introspection requests round-robin over `tokens`.
/// 32 clients posting `{"token": …}` for each of `tokens` in turn, as `caller`.
async fn hammer(addr: SocketAddr, path: &'static str, tokens: &[String], caller: &str) -> Stats {
    let tokens: Arc<Vec<String>> = Arc::new(tokens.to_vec());
    let caller: Arc<str> = caller.into();
    drive(
        addr,
        PHASE,
        (0..32)
            .map(|c| -> NextRequest {
                let (tokens, caller) = (tokens.clone(), caller.clone());
                let mut i = c;
                Box::new(move |_| {
                    i += 1;
                    let body = json!({ "token": tokens[i % tokens.len()] }).to_string();
                    Some(post_json_as(addr, path, body, Some(&caller)))
                })
            })
            .collect(),
    )
    .await
}

/// argon2id verifications per second on both cores, nothing else, with as many verifications
/// in flight as the login run has users.
async fn raw_verify_rate() -> Row {
    let passwords = Passwords::new(&keycloak_argon2()).unwrap();
    let secret = secrecy::SecretString::from("correct horse battery staple");
    let hash = passwords.hash(&secret).await.unwrap();
    let started = Instant::now();
    let workers: Vec<_> = (0..USERS)
        .map(|_| {
            let (passwords, secret, hash) = (passwords.clone(), secret.clone(), hash.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while started.elapsed() < PHASE {
                    passwords.verify(&secret, Some(&hash)).await.unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    Row(
        "raw argon2id verify (m=7 MiB, t=5, p=1)",
        format!("{:.1}/s", total as f64 / started.elapsed().as_secs_f64()),
        format!(
            "{USERS} verifications in flight on the blocking pool, nothing else: the physical limit of a password login here"
        ),
    )
}
