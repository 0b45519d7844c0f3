//! A soak: a steady mixed load (log in, introspect, refresh, introspect, log out, introspect)
//! against the three servers as processes, on the real services, for `SOAK_MINUTES` (10),
//! with each server's RSS, their open file descriptors and threads (summed), and the Postgres
//! and Redis connections, sampled at the start and after every minute. Flat columns mean
//! nothing leaks; the `wrong` column counts answers that contradict what the client did (an
//! active answer after the logout, say).
//!
//! Run: `./dev bench soak` (SOAK_MINUTES, SOAK_CYCLES_PER_SEC, SOAK_USERS to change the
//! length, the rate and how many users share it). Prints a Markdown table.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../auth/platform/mod.rs"]
mod platform;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use command_api::auth::passwords::PasswordArgs;
use devtools::procfs;
use serde_json::{Value, json};

#[derive(Default)]
struct Counts {
    cycles: AtomicU64,
    errors: AtomicU64,
    wrong: AtomicU64,
}

#[tokio::main(worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let minutes: u64 = env_or("SOAK_MINUTES", 10);
    let rate: u64 = env_or("SOAK_CYCLES_PER_SEC", 10);
    // The rate is shared among the users: fewer users, longer streams per user.
    let user_count = env_or("SOAK_USERS", 8) as usize;
    let platform = Arc::new(platform::Platform::start(PasswordArgs::default()).await?);
    let users = platform.users(user_count).await?;
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(minutes * 60);

    let mut rows = vec![sample(&platform, 0, &counts).await?];
    let workers: Vec<_> = users
        .into_iter()
        .map(|user| {
            let (platform, counts) = (platform.clone(), counts.clone());
            // Each user cycles at its share of the rate.
            let every = Duration::from_secs_f64(user_count as f64 / rate as f64);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let http = reqwest::Client::new();
                while Instant::now() < deadline {
                    tick.tick().await;
                    match cycle(&http, &platform, &user).await {
                        Ok(true) => {}
                        Ok(false) => drop(counts.wrong.fetch_add(1, Ordering::Relaxed)),
                        Err(_) => drop(counts.errors.fetch_add(1, Ordering::Relaxed)),
                    }
                    counts.cycles.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for minute in 1..=minutes {
        tokio::time::sleep_until((started + Duration::from_secs(minute * 60)).into()).await;
        rows.push(sample(&platform, minute, &counts).await?);
    }
    for worker in workers {
        worker.await?;
    }

    println!(
        "\n| minute | cycles | errors | wrong | RSS MB (command / projectors / query) | fds | threads | Postgres conns | Redis clients |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// One session's life; whether every answer agreed with what the client did.
async fn cycle(
    http: &reqwest::Client,
    platform: &platform::Platform,
    (login, password): &(String, String),
) -> anyhow::Result<bool> {
    let command = format!("http://{}", platform.command);
    let session: Value = ok(http
        .post(format!("{command}/v1/auth/login"))
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await?)?
    .json()
    .await?;
    let mut right = active(http, platform, &session).await? == Some(true);
    let session: Value = ok(http
        .post(format!("{command}/v1/auth/refresh"))
        .json(&json!({ "refresh_token": session["refresh_token"] }))
        .send()
        .await?)?
    .json()
    .await?;
    right &= active(http, platform, &session).await? == Some(true);
    ok(http
        .post(format!("{command}/v1/auth/logout"))
        .bearer_auth(session["access_token"].as_str().unwrap_or_default())
        .send()
        .await?)?;
    right &= active(http, platform, &session).await? == Some(false);
    Ok(right)
}

async fn active(
    http: &reqwest::Client,
    platform: &platform::Platform,
    session: &Value,
) -> anyhow::Result<Option<bool>> {
    let answer: Value = ok(http
        .post(format!("http://{}/v1/tokens/introspect", platform.query))
        .bearer_auth(platform.introspector().await?)
        .json(&json!({ "token": session["access_token"] }))
        .send()
        .await?)?
    .json()
    .await?;
    Ok(answer["active"].as_bool())
}

fn ok(response: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    anyhow::ensure!(
        response.status().is_success(),
        "answered {}",
        response.status()
    );
    Ok(response)
}

/// One row of the table: the counts so far and what the process holds now.
async fn sample(
    platform: &platform::Platform,
    minute: u64,
    counts: &Counts,
) -> anyhow::Result<String> {
    let (mut rss, mut fds, mut threads) = (Vec::new(), 0, 0);
    for server in &platform.servers {
        let pid = server.pid();
        rss.push(format!("{:.1}", procfs::rss_mb(pid)?));
        fds += procfs::open_fds(pid)?;
        threads += procfs::status(pid, "Threads")?;
    }
    let postgres: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
            .bind(&platform.stack.db.name)
            .fetch_one(&platform.stack.db.pool)
            .await?;
    let mut redis = platform.stack.redis.connect()?;
    let clients: String = redis::cmd("INFO")
        .arg("clients")
        .query_async(&mut redis)
        .await?;
    let clients = clients
        .lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .unwrap_or("?")
        .trim()
        .to_owned();
    Ok(format!(
        "| {minute} | {} | {} | {} | {} | {fds} | {threads} | {postgres} | {clients} |",
        counts.cycles.load(Ordering::Relaxed),
        counts.errors.load(Ordering::Relaxed),
        counts.wrong.load(Ordering::Relaxed),
        rss.join(" / "),
    ))
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
