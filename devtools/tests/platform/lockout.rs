//! Brute force: failed logins are counted atomically per login; past the limit the login is
//! locked (429 with Retry-After), longer each time; a success resets the count. A burst of
//! logins for made-up names leaves everything else answering.

use chrono::Duration;
use command_api::auth::lockout::LockoutArgs;
use command_api::auth::passwords::PasswordArgs;
use futures::future::join_all;
use serde_json::Value;

use devtools::testing::eventually;

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Options, Platform, TIMEOUT, access};

fn options() -> Options {
    Options {
        lockout: LockoutArgs {
            max_failures: 5,
            lockout_secs: 60,
            lockout_max_secs: 3600,
            ..LockoutArgs::default()
        },
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fifth_wrong_password_locks_the_login_until_it_expires_and_a_success_resets() {
    let platform = Platform::start_with(options()).await;
    for _ in 0..5 {
        assert_eq!(platform.login(ADMIN_LOGIN, "wrong").await.status(), 401);
    }
    let locked = platform.login(ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert_eq!(locked.headers()["retry-after"], "60");
    let problem: Value = locked.json().await.expect("problem");
    assert_eq!(problem["code"], "locked");

    // Recorded in the background, so that the 401 is not slower for a known login.
    eventually(TIMEOUT, "the lockout is an event", || async {
        let recorded: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE event_type = 'session.login_locked_out.v1'",
        )
        .fetch_one(&platform.stack.db.pool)
        .await
        .expect("events");
        (recorded == 1).then_some(())
    })
    .await;

    platform.clock.advance(Duration::seconds(61));
    assert_eq!(
        platform.login(ADMIN_LOGIN, ADMIN_PASSWORD).await.status(),
        200
    );
    for _ in 0..4 {
        assert_eq!(platform.login(ADMIN_LOGIN, "wrong").await.status(), 401);
    }
    assert_eq!(
        platform.login(ADMIN_LOGIN, ADMIN_PASSWORD).await.status(),
        200,
        "the success cleared the earlier failures"
    );

    // A second lockout in a row lasts twice as long.
    for _ in 0..5 {
        platform.login(ADMIN_LOGIN, "wrong").await;
    }
    platform.clock.advance(Duration::seconds(61));
    for _ in 0..5 {
        platform.login(ADMIN_LOGIN, "wrong").await;
    }
    let longer = platform.login(ADMIN_LOGIN, ADMIN_PASSWORD).await;
    assert_eq!(longer.status(), 429);
    assert_eq!(longer.headers()["retry-after"], "120");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_guesses_never_exceed_the_limit() {
    let platform = Platform::start_with(options()).await;
    let guesses = (0..30).map(|i| platform.login(ADMIN_LOGIN, if i % 2 == 0 { "a" } else { "b" }));
    let statuses: Vec<u16> = join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        25,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_login_looks_like_any_other_but_for_the_429() {
    let platform = Platform::start_with(options()).await;
    for login in [ADMIN_LOGIN, "nobody@example.test"] {
        for _ in 0..5 {
            platform.login(login, "wrong").await;
        }
    }
    let known = platform.login(ADMIN_LOGIN, "wrong").await;
    let unknown = platform.login("nobody@example.test", "wrong").await;
    assert_eq!(known.status(), 429);
    assert_eq!(unknown.status(), 429, "unknown logins lock the same way");
    assert_eq!(
        known.headers()["retry-after"],
        unknown.headers()["retry-after"]
    );
    assert_eq!(
        known.bytes().await.expect("body"),
        unknown.bytes().await.expect("body")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_logins_for_made_up_names_leave_every_other_route_answering() {
    let platform = Platform::start_with(Options {
        // The real cost: each check takes a while, which is when connections were held.
        passwords: PasswordArgs::default(),
        ..Options::default()
    })
    .await;
    let admin = platform.admin_session().await;
    let other = platform.admin_session().await;
    let refresh_token = admin["refresh_token"].as_str().expect("refresh token");

    let burst = join_all((0..50).map(|i| {
        let platform = &platform;
        async move {
            let login = format!("nobody-{i}-{}@example.com", uuid::Uuid::now_v7());
            platform.login(&login, "a guess").await.status()
        }
    }));
    let others = async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let refreshed = platform.refresh(refresh_token).await.status();
        let ready = platform
            .http
            .get(format!("{}/readyz", platform.command))
            .send()
            .await
            .expect("command-api answers")
            .status();
        let logout = platform.logout(access(&other)).await.status();
        (refreshed, ready, logout)
    };
    let (statuses, (refreshed, ready, logout)) = tokio::join!(burst, others);

    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(refreshed, 200, "a refresh during the burst");
    assert_eq!(ready, 200, "readiness during the burst");
    assert_eq!(logout, 204, "a logout during the burst");
    platform.until_active(access(&other), false).await;
}
