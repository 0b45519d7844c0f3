//! Login, introspection and logout through every layer: command → event → Kafka → projector →
//! Redis → query.

use serde_json::Value;
use uuid::Uuid;

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Options, Platform};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_is_active_until_logout_then_inactive() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["principal_type"], "user");
    assert_eq!(session["evicted_session_ids"], Value::Array(vec![]));
    assert!(session["expires_in"].as_i64().is_some_and(|s| s > 0));
    assert!(
        session["refresh_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("rt1."))
    );
    let token = session["access_token"].as_str().expect("access token");

    let active = platform.until_active(token, true).await;
    assert_eq!(active["sub"], session["principal_id"]);
    assert_eq!(active["sid"], session["session_id"]);
    assert_eq!(active["principal_type"], "user");
    assert!(
        active["permissions"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p == "sessions:revoke")),
        "the bootstrapped admin holds every permission: {active}"
    );

    assert_eq!(platform.logout(token).await.status(), 204);
    let inactive = platform.until_active(token, false).await;
    assert_eq!(inactive, serde_json::json!({ "active": false }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_login_get_byte_identical_answers() {
    let platform = Platform::start().await;
    let wrong = platform.login(ADMIN_LOGIN, "not the password").await;
    let unknown = platform.login("nobody@example.test", ADMIN_PASSWORD).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let content_type = |r: &reqwest::Response| r.headers()["content-type"].clone();
    assert_eq!(content_type(&wrong), "application/problem+json");
    assert_eq!(content_type(&wrong), content_type(&unknown));
    let wrong = wrong.bytes().await.expect("body");
    let unknown = unknown.bytes().await.expect("body");
    assert_eq!(wrong, unknown);
    let problem: Value = serde_json::from_slice(&wrong).expect("problem json");
    assert_eq!(problem["code"], "invalid_credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_case_insensitive_and_a_second_logout_is_refused() {
    let platform = Platform::start().await;
    let response = platform
        .login(&ADMIN_LOGIN.to_uppercase(), ADMIN_PASSWORD)
        .await;
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.expect("token response");
    let token = session["access_token"].as_str().expect("access token");
    assert_eq!(platform.logout(token).await.status(), 204);
    let again = platform.logout(token).await;
    assert_eq!(again.status(), 401, "the session has ended");
    assert_eq!(again.headers()["www-authenticate"], "Bearer");
    assert_eq!(platform.logout("not-a-token").await.status(), 401);
}

/// Session reads query-api answered with `result` (hit, miss, stale, unavailable) so far.
async fn cache_lookups(platform: &Platform, result: &str) -> f64 {
    let page = platform.metrics(&platform.query).await;
    let labels = [("result", result)];
    devtools::metrics::sum(&page, "identity_session_cache_lookups_total", &labels)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_flush_a_live_session_is_active_and_a_revoked_one_inactive() {
    let platform = Platform::start_with(Options {
        private_redis: true,
        ..Options::default()
    })
    .await;
    let live = platform.admin_session().await;
    let ended = platform.admin_session().await;
    let id =
        |value: &Value| -> Uuid { value.as_str().and_then(|v| v.parse().ok()).expect("an id") };
    let sessions = [id(&live["session_id"]), id(&ended["session_id"])];
    // The principal's sessions hash holds each entry under the session's 16-byte id.
    let hash = format!(
        "{}g0:s:{}",
        platform.stack.redis.key_prefix,
        id(&live["principal_id"])
    );
    let live = live["access_token"].as_str().expect("token").to_owned();
    let ended = ended["access_token"].as_str().expect("token").to_owned();
    assert_eq!(platform.logout(&ended).await.status(), 204);
    platform.until_active(&live, true).await;
    platform.until_active(&ended, false).await;

    let lookups = |result: &'static str| cache_lookups(&platform, result);
    let all = || async {
        let mut total = 0.0;
        for result in ["hit", "miss", "stale", "unavailable"] {
            total += lookups(result).await;
        }
        total
    };
    let hits = lookups("hit").await;
    assert_eq!(platform.introspect(&live).await["active"], true);
    assert!(
        lookups("hit").await > hits,
        "a live session is read from the cache"
    );
    let before = all().await;

    let mut redis = platform.redis().await;
    let () = redis::cmd("FLUSHALL")
        .query_async(&mut redis)
        .await
        .expect("flush");

    assert_eq!(platform.introspect(&live).await["active"], true);
    assert_eq!(platform.introspect(&ended).await["active"], false);
    // The misses re-warmed the cache from the event store.
    let fields: Vec<Vec<u8>> = redis::cmd("HKEYS")
        .arg(&hash)
        .query_async(&mut redis)
        .await
        .expect("fields");
    // The projector may have refilled the cache by then: hits or misses, each read is counted.
    assert!(all().await >= before + 2.0, "both reads counted");
    let cached = sessions
        .iter()
        .filter(|id| fields.iter().any(|f| f.as_slice() == id.as_bytes()))
        .count();
    assert_eq!(cached, 2, "both sessions are cached again: {fields:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_admin_is_an_ordinary_user_holding_the_admin_role() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let token = session["access_token"].as_str().expect("token");
    let admin = session["principal_id"].as_str().expect("id");
    let path = format!("{}/v1/users/{admin}?min_version=2", platform.query);
    // The user's stream and the role's are projected apart: wait for both.
    let user: Value = devtools::testing::eventually(
        crate::support::TIMEOUT,
        "the directory to show the admin with its role",
        || async {
            let response = platform
                .http
                .get(&path)
                .bearer_auth(token)
                .send()
                .await
                .ok()?;
            let user: Value = response.json().await.ok()?;
            user["roles"]
                .as_array()
                .is_some_and(|roles| !roles.is_empty())
                .then_some(user)
        },
    )
    .await;
    assert_eq!(user["email"], ADMIN_LOGIN);
    assert_eq!(user["roles"][0]["name"], "admin");
    let every: Vec<&str> = events::Permission::ALL.iter().map(|p| p.as_str()).collect();
    let mut every = every;
    every.sort_unstable();
    assert_eq!(user["permissions"], serde_json::json!(every));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrapping_again_changes_nothing() {
    let platform = Platform::start().await;
    let before = platform.event_count().await;
    let outcome = command_api::bootstrap::bootstrap_admin(
        &store::event_store::PgEventStore::new(platform.stack.db.pool.clone()),
        &command_api::auth::passwords::Passwords::new(
            &command_api::auth::passwords::PasswordArgs {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
                ..command_api::auth::passwords::PasswordArgs::default()
            },
        )
        .expect("parameters"),
        &platform.logins(),
        "second@example.test",
        &"another password".into(),
        events::now(),
    )
    .await
    .expect("bootstrap runs");
    assert_eq!(outcome, command_api::bootstrap::Bootstrapped::AlreadyDone);
    assert_eq!(platform.event_count().await, before);
    assert_eq!(
        platform
            .login("second@example.test", "another password")
            .await
            .status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_typed_full_width_or_in_capitals_is_the_same_login() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    for spelling in [
        "ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｔｅｓｔ",
        " ADMIN@example.test ",
    ] {
        let session = platform.session_of(spelling, ADMIN_PASSWORD).await;
        assert_eq!(session["principal_id"], admin["principal_id"], "{spelling}");
    }
}
