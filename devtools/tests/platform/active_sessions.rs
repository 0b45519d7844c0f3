//! The `identity_sessions_active` gauge the projectors serve: it counts sessions as they start,
//! are revoked and end on their own (idle or expired, with no event to say so), and a refresh
//! keeps a session counted past the idle end it had before.

use chrono::Utc;
use command_api::sessions::SessionArgs;
use runtime::clock::Clock;
use serde_json::Value;

use crate::support::{ADMIN_PASSWORD, Options, Platform, TIMEOUT, access};
use devtools::testing::eventually;

/// Waits until the projectors' gauge says `expected`.
async fn until_counted(platform: &Platform, expected: f64) {
    eventually(TIMEOUT, &format!("{expected} active sessions"), || async {
        let page = platform.metrics(&platform.projectors).await;
        (devtools::metrics::value(&page, "identity_sessions_active") == Some(expected))
            .then_some(())
    })
    .await;
}

fn refresh_token(session: &Value) -> &str {
    session["refresh_token"].as_str().expect("refresh token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gauge_counts_logins_and_forgets_revoked_sessions() {
    let platform = Platform::start().await;
    until_counted(&platform, 0.0).await;
    // Users registered straight into the store: no admin session is counted.
    let login = "ada@example.test";
    platform.register_user(login, ADMIN_PASSWORD).await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(platform.session_of(login, ADMIN_PASSWORD).await);
    }
    until_counted(&platform, 3.0).await;

    let response = platform.logout(access(&sessions[0])).await;
    assert_eq!(response.status(), 204, "logout");
    until_counted(&platform, 2.0).await;

    let response = platform.refresh(refresh_token(&sessions[1])).await;
    assert_eq!(response.status(), 200, "refresh");
    // Presenting the spent refresh token again is reuse: the session is revoked.
    let response = platform.refresh(refresh_token(&sessions[1])).await;
    assert_eq!(response.status(), 401, "reuse");
    until_counted(&platform, 1.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_leave_the_gauge_at_their_idle_end_and_a_refresh_moves_it() {
    let platform = Platform::start_with(Options {
        sessions: SessionArgs {
            idle_timeout_secs: 6,
            ..SessionArgs::default()
        },
        ..Options::default()
    })
    .await;
    // The domain clock stands where the platform started; the gauge counts by the real one.
    platform.clock.advance(Utc::now() - platform.clock.now());
    let login = "grace@example.test";
    platform.register_user(login, ADMIN_PASSWORD).await;
    let kept = platform.session_of(login, ADMIN_PASSWORD).await;
    let _idle = platform.session_of(login, ADMIN_PASSWORD).await;
    until_counted(&platform, 2.0).await;

    // Three seconds on, `kept` is used: its idle end moves three seconds past the other's.
    platform.clock.advance(chrono::Duration::seconds(3));
    let response = platform.refresh(refresh_token(&kept)).await;
    assert_eq!(response.status(), 200, "refresh");
    // No event ends either session: each leaves the count when its idle time runs out.
    until_counted(&platform, 1.0).await;
    until_counted(&platform, 0.0).await;
}
