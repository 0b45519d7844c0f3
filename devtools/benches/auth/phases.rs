//! The load of the HTTP phases and the raw limit of the login phase.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use command_api::auth::passwords::Passwords;
use devtools::procfs;
use serde_json::json;

use crate::load::{NextRequest, Stats, drive, post_json_as};
use crate::{PHASE, USERS, keycloak_argon2};

pub fn latency_note(stats: &mut Stats, what: &str) -> String {
    format!(
        "{what}; 32 connections; p50 {:.2} ms, p99 {:.2} ms; {} failed",
        stats.percentile_ms(0.5),
        stats.percentile_ms(0.99),
        stats.failed
    )
}

/// 32 clients posting `{"token": …}` for each of `tokens` in turn, as `caller`.
pub async fn hammer(
    addr: SocketAddr,
    path: &'static str,
    tokens: &[String],
    caller: &str,
) -> Stats {
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

/// The raw limit of a password login.
pub struct RawVerify {
    /// argon2id verifications per second on both cores.
    pub per_second: f64,
    /// Verifications per second of CPU this process spent on them.
    pub per_cpu_second: f64,
}

/// argon2id verifications on both cores, nothing else, with as many verifications in flight as
/// the login run has users.
pub async fn raw_verify() -> anyhow::Result<RawVerify> {
    let passwords = Passwords::new(&keycloak_argon2()).unwrap();
    let secret = secrecy::SecretString::from("correct horse battery staple");
    let hash = passwords.hash(&secret).await.unwrap();
    let cpu_before = procfs::cpu_seconds(std::process::id())?;
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
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = procfs::cpu_seconds(std::process::id())? - cpu_before;
    Ok(RawVerify {
        per_second: total as f64 / elapsed,
        per_cpu_second: total as f64 / cpu,
    })
}
