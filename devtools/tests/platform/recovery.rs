//! Redis is a cache: flushed again and again while clients log in, refresh, introspect and log
//! out, it never makes a live session inactive or a revoked one active; refusing writes while
//! it still answers reads does not either.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use command_api::sessions::SessionArgs;
use serde_json::Value;

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Options, Platform, access};

const RUN_FOR: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushing_redis_under_a_login_refresh_introspect_loop_gives_no_wrong_answer() {
    let platform = Arc::new(
        Platform::start_with(Options {
            sessions: SessionArgs {
                limit: 1000,
                ..SessionArgs::default()
            },
            private_redis: true,
            ..Options::default()
        })
        .await,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flushes = Arc::new(AtomicUsize::new(0));
    let flusher = {
        let (platform, stop, flushes) = (platform.clone(), stop.clone(), flushes.clone());
        tokio::spawn(async move {
            let mut redis = platform.redis().await;
            while !stop.load(Ordering::Relaxed) {
                let () = redis::cmd("FLUSHALL")
                    .query_async(&mut redis)
                    .await
                    .expect("flush");
                flushes.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let workers = (0..3).map(|_| {
        let platform = platform.clone();
        tokio::spawn(async move {
            let mut wrong = Vec::new();
            let mut revoked: Vec<String> = Vec::new();
            let mut rounds = 0;
            let started = Instant::now();
            while started.elapsed() < RUN_FOR {
                rounds += 1;
                let session = platform.admin_session().await;
                expect(&platform, access(&session), true, "after login", &mut wrong).await;
                let refreshed: Value = platform
                    .refresh(session["refresh_token"].as_str().expect("refresh token"))
                    .await
                    .json()
                    .await
                    .expect("tokens");
                expect(
                    &platform,
                    access(&refreshed),
                    true,
                    "after refresh",
                    &mut wrong,
                )
                .await;
                assert_eq!(platform.logout(access(&refreshed)).await.status(), 204);
                expect(
                    &platform,
                    access(&refreshed),
                    false,
                    "after logout",
                    &mut wrong,
                )
                .await;
                revoked.push(access(&refreshed).to_owned());
                for token in &revoked {
                    expect(&platform, token, false, "revoked earlier", &mut wrong).await;
                }
            }
            (rounds, wrong)
        })
    });
    let mut rounds = 0;
    let mut wrong = Vec::new();
    for worker in workers {
        let (r, w) = worker.await.expect("worker");
        rounds += r;
        wrong.extend(w);
    }
    stop.store(true, Ordering::Relaxed);
    flusher.await.expect("flusher");
    assert!(
        flushes.load(Ordering::Relaxed) >= 10,
        "Redis was flushed repeatedly"
    );
    assert!(rounds >= 3, "the loop ran: {rounds} rounds");
    assert!(wrong.is_empty(), "{} wrong answers: {wrong:?}", wrong.len());
    // And the login path itself never depended on Redis.
    assert_eq!(
        platform.login(ADMIN_LOGIN, ADMIN_PASSWORD).await.status(),
        200
    );
}

async fn expect(
    platform: &Platform,
    token: &str,
    active: bool,
    when: &str,
    wrong: &mut Vec<String>,
) {
    let answer = platform.introspect(token).await;
    if answer["active"] != active {
        wrong.push(format!("{when}: expected active={active}, got {answer}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_whose_cache_write_fails_is_never_reported_active() {
    let platform = Platform::start_with(Options {
        private_redis: true,
        ..Options::default()
    })
    .await;
    let session = platform.admin_session().await;
    let token = access(&session);
    platform.until_active(token, true).await;

    // Out of memory: Redis answers reads but refuses every write (deletes still go through).
    let mut redis = platform.redis().await;
    let configure = |name: &'static str, value: &'static str| {
        let mut redis = redis.clone();
        async move {
            let () = redis::cmd("CONFIG")
                .arg("SET")
                .arg(name)
                .arg(value)
                .query_async(&mut redis)
                .await
                .expect("config set");
        }
    };
    configure("maxmemory-policy", "noeviction").await;
    configure("maxmemory", "1").await;

    assert_eq!(platform.logout(token).await.status(), 204);
    let answer = platform.introspect(token).await;
    assert_eq!(answer["active"], false, "right after the logout: {answer}");

    configure("maxmemory", "0").await;
    let () = redis::cmd("PING")
        .query_async(&mut redis)
        .await
        .expect("redis answers");
}
