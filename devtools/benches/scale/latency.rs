//! Command latency at a tier: password logins and refreshes against the servers running on the
//! loaded stack, one request at a time, so each figure is one command's time and not a queue's.
//! They read one principal's stream and keys, so they should not grow with the total.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::platform::Platform;

const LOGINS: usize = 40;
const REFRESHES: usize = 300;

/// p50 and p99 of logins and of refreshes, in ms.
pub struct Latency {
    pub login: (f64, f64),
    pub refresh: (f64, f64),
}

pub async fn measure(platform: &Platform) -> anyhow::Result<Latency> {
    // Four users log in in turn; a fifth logs in once and refreshes its session in a chain.
    let users = platform.users(5).await?;
    let (chained, logging_in) = users.split_last().expect("five users");
    let mut logins = Vec::with_capacity(LOGINS);
    for i in 0..LOGINS {
        let (login, password) = &logging_in[i % logging_in.len()];
        let started = Instant::now();
        platform.login(login, password).await?;
        logins.push(started.elapsed());
    }
    let http = reqwest::Client::new();
    let url = format!("http://{}/v1/auth/refresh", platform.command);
    let mut session = platform.login(&chained.0, &chained.1).await?;
    let mut refreshes = Vec::with_capacity(REFRESHES);
    for _ in 0..REFRESHES {
        let started = Instant::now();
        let answer = http
            .post(&url)
            .json(&json!({ "refresh_token": session["refresh_token"] }))
            .send()
            .await?
            .error_for_status()?;
        session = answer.json::<Value>().await?;
        refreshes.push(started.elapsed());
    }
    Ok(Latency {
        login: percentiles(logins),
        refresh: percentiles(refreshes),
    })
}

fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    let mut at = |q: f64| {
        devtools::report::nearest_rank(&mut times, q)
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    };
    (at(0.5), at(0.99))
}
