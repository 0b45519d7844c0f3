//! The session rules through the API: the cap with LRU eviction (also under 50 parallel
//! logins), refresh rotation and reuse, revocation by owners and administrators with its
//! audit, lifetimes, and read-your-writes.

use chrono::Duration;
use command_api::sessions::SessionArgs;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Options, Platform, access};

fn sessions_path(principal: &Value) -> String {
    format!(
        "/v1/principals/{}/sessions",
        principal.as_str().expect("principal id")
    )
}

async fn active_ids(
    platform: &Platform,
    token: &str,
    principal: &Value,
    min_version: i64,
) -> Vec<Value> {
    let path = format!("{}?min_version={min_version}", sessions_path(principal));
    let response = platform.read(&path, token).await;
    assert_eq!(response.status(), 200, "session list");
    let list: Value = response.json().await.expect("list");
    list.as_array()
        .expect("array")
        .iter()
        .map(|s| s["session_id"].clone())
        .collect()
}

async fn audit(platform: &Platform, token: &str, query: &str) -> Vec<Value> {
    let response = platform
        .read(&format!("/v1/audit/revocations?{query}"), token)
        .await;
    assert_eq!(response.status(), 200, "audit");
    response.json::<Vec<Value>>().await.expect("audit rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_login_evicts_the_least_recently_used_session() {
    let platform = Platform::start().await;
    // Not the admin's sessions: the test's introspection runs as the admin.
    let login = "grace@example.test";
    platform.register_user(login, ADMIN_PASSWORD).await;
    let mut sessions = Vec::new();
    for _ in 0..5 {
        platform.clock.advance(Duration::minutes(1));
        let session = platform.session_of(login, ADMIN_PASSWORD).await;
        assert_eq!(session["evicted_session_ids"], json!([]));
        sessions.push(session);
    }
    let sixth = platform.session_of(login, ADMIN_PASSWORD).await;
    assert_eq!(
        sixth["evicted_session_ids"],
        json!([sessions[0]["session_id"]])
    );
    platform.until_active(access(&sessions[0]), false).await;

    // Refreshing the (now) oldest session makes the next one the least recently used.
    platform.clock.advance(Duration::minutes(1));
    let refreshed = platform
        .refresh(
            sessions[1]["refresh_token"]
                .as_str()
                .expect("refresh token"),
        )
        .await;
    assert_eq!(refreshed.status(), 200);
    let seventh = platform.session_of(login, ADMIN_PASSWORD).await;
    assert_eq!(
        seventh["evicted_session_ids"],
        json!([sessions[2]["session_id"]])
    );

    let token = access(&seventh);
    let version = seventh["version"].as_i64().expect("version");
    let active = active_ids(&platform, token, &seventh["principal_id"], version).await;
    assert_eq!(active.len(), 5);
    assert!(!active.contains(&sessions[0]["session_id"]));
    assert!(!active.contains(&sessions[2]["session_id"]));
    assert!(active.contains(&sessions[1]["session_id"]));

    let admin = platform.admin_session().await;
    let evictions = audit(&platform, access(&admin), "reason=SESSION_LIMIT_EVICTION").await;
    assert_eq!(evictions.len(), 2);
    assert_eq!(
        evictions[0]["session_id"], sessions[2]["session_id"],
        "newest first"
    );
    assert_eq!(
        evictions[0]["revoked_by"],
        json!({ "type": "system", "id": "session-limit" })
    );
    assert_eq!(
        evictions[0]["metadata"]["evicted_for"],
        seventh["session_id"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_logins_leave_exactly_the_limit_active() {
    let platform = Platform::start().await;
    let logins = (0..50).map(|_| platform.login(ADMIN_LOGIN, ADMIN_PASSWORD));
    let responses = join_all(logins).await;
    let mut sessions = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200, "every login succeeds");
        sessions.push(response.json::<Value>().await.expect("token response"));
    }
    let latest = sessions
        .iter()
        .max_by_key(|s| s["version"].as_i64())
        .expect("a session");
    let token = access(latest);
    let version = latest["version"].as_i64().expect("version");
    let active = active_ids(&platform, token, &latest["principal_id"], version).await;
    assert_eq!(active.len(), 5, "exactly the limit is active");

    let evicted: Vec<Value> = sessions
        .iter()
        .flat_map(|s| {
            s["evicted_session_ids"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(evicted.len(), 45, "every other session was evicted, once");
    let evictions = audit(&platform, token, "reason=SESSION_LIMIT_EVICTION&limit=1000").await;
    assert_eq!(evictions.len(), 45);
    let all = audit(&platform, token, "limit=1000").await;
    assert_eq!(all.len(), 45, "no revocation for another reason");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_rotates_the_token_and_reusing_a_spent_one_revokes_the_session() {
    let platform = Platform::start().await;
    let first = platform.admin_session().await;
    let spent = first["refresh_token"].as_str().expect("refresh token");

    let response = platform.refresh(spent).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.expect("tokens");
    assert_eq!(second["session_id"], first["session_id"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(platform.introspect(access(&second)).await["active"], true);

    let third: Value = platform
        .refresh(second["refresh_token"].as_str().expect("refresh token"))
        .await
        .json()
        .await
        .expect("tokens");

    let reuse = platform.refresh(spent).await;
    assert_eq!(reuse.status(), 401);
    let problem: Value = reuse.json().await.expect("problem");
    assert_eq!(problem["code"], "invalid_refresh_token");
    for token in [access(&first), access(&second), access(&third)] {
        assert_eq!(platform.introspect(token).await, json!({ "active": false }));
    }
    let current = third["refresh_token"].as_str().expect("refresh token");
    assert_eq!(
        platform.refresh(current).await.status(),
        401,
        "the session is gone"
    );

    let admin = platform.admin_session().await;
    let rows = audit(&platform, access(&admin), "reason=REFRESH_TOKEN_REUSE").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["session_id"], first["session_id"]);
    assert_eq!(
        rows[0]["revoked_by"],
        json!({ "type": "system", "id": "refresh-token-reuse" })
    );
    assert_eq!(platform.refresh("rt1.garbage").await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_by_owners_and_administrators_are_audited_with_reason_metadata_and_actor() {
    let platform = Platform::start().await;
    let user = platform
        .register_user("ada@example.test", "ada's password")
        .await;
    let ada_one = platform
        .session_of("ada@example.test", "ada's password")
        .await;
    let ada_two = platform
        .session_of("ada@example.test", "ada's password")
        .await;
    let ada_three = platform
        .session_of("ada@example.test", "ada's password")
        .await;
    let admin = platform.admin_session().await;

    // The owner revokes one of her sessions.
    let path = |s: &Value| {
        format!(
            "/v1/sessions/{}/revoke",
            s["session_id"].as_str().expect("id")
        )
    };
    let body = json!({ "reason": "SECURITY_ALERT", "metadata": { "device": "lost phone" } });
    let response = platform
        .command(&path(&ada_two), access(&ada_one), body)
        .await;
    assert_eq!(response.status(), 200);
    let revoked: Value = response.json().await.expect("revoked");
    assert_eq!(revoked["reason"], "SECURITY_ALERT");
    assert_eq!(revoked["session_id"], ada_two["session_id"]);

    // She may not give an administrator's reason, nor touch the admin's sessions.
    let admin_reason = json!({ "reason": "ADMIN_REVOKE" });
    let denied = platform
        .command(&path(&ada_three), access(&ada_one), admin_reason.clone())
        .await;
    assert_eq!(denied.status(), 422);
    let others = platform
        .command(
            &path(&admin),
            access(&ada_one),
            json!({ "reason": "USER_LOGOUT" }),
        )
        .await;
    assert_eq!(
        others.status(),
        404,
        "another's session looks like no session"
    );
    let missing = platform
        .command(
            &format!("/v1/sessions/{}/revoke", uuid::Uuid::now_v7()),
            access(&ada_one),
            json!({ "reason": "USER_LOGOUT" }),
        )
        .await;
    assert_eq!(missing.status(), 404);
    let (others, missing): (Value, Value) = (
        others.json().await.expect("problem"),
        missing.json().await.expect("problem"),
    );
    assert_eq!(others, missing, "the same answer, byte for byte");
    let unknown = platform
        .command(
            &path(&ada_three),
            access(&ada_one),
            json!({ "reason": "BORED" }),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let reserved = platform
        .command(
            &path(&ada_three),
            access(&admin),
            json!({ "reason": "PASSWORD_CHANGED" }),
        )
        .await;
    assert_eq!(
        reserved.status(),
        422,
        "system reasons cannot be given through the API"
    );
    let again = platform
        .command(
            &path(&ada_two),
            access(&ada_one),
            json!({ "reason": "USER_LOGOUT" }),
        )
        .await;
    assert_eq!(again.status(), 409);

    // The administrator ends all of her sessions.
    let all = platform
        .command(
            &format!("/v1/principals/{user}/sessions/revoke-all"),
            access(&admin),
            json!({ "reason": "ADMIN_REVOKE", "metadata": { "ticket": "SEC-42" } }),
        )
        .await;
    assert_eq!(all.status(), 200);
    let all: Value = all.json().await.expect("revoked all");
    let mut ids = all["revoked_session_ids"].as_array().cloned().expect("ids");
    ids.sort_by_key(|v| v.as_str().map(str::to_owned));
    let mut expected = vec![
        ada_one["session_id"].clone(),
        ada_three["session_id"].clone(),
    ];
    expected.sort_by_key(|v| v.as_str().map(str::to_owned));
    assert_eq!(ids, expected);
    assert_eq!(platform.introspect(access(&ada_one)).await["active"], false);
    let after = platform
        .command(
            &path(&ada_three),
            access(&ada_one),
            json!({ "reason": "USER_LOGOUT" }),
        )
        .await;
    assert_eq!(after.status(), 401, "her tokens authorize nothing any more");

    let rows = audit(&platform, access(&admin), &format!("principal_id={user}")).await;
    assert_eq!(rows.len(), 3);
    let by_admin: Vec<&Value> = rows
        .iter()
        .filter(|r| r["reason"] == "ADMIN_REVOKE")
        .collect();
    assert_eq!(by_admin.len(), 2);
    assert_eq!(by_admin[0]["metadata"], json!({ "ticket": "SEC-42" }));
    assert_eq!(by_admin[0]["revoked_by"]["type"], "user");
    assert_eq!(by_admin[0]["revoked_by"]["id"], admin["principal_id"]);
    let by_owner = rows
        .iter()
        .find(|r| r["reason"] == "SECURITY_ALERT")
        .expect("owner's");
    assert_eq!(by_owner["metadata"], json!({ "device": "lost phone" }));
    assert_eq!(by_owner["revoked_by"]["id"], user.to_string());
    assert!(by_owner["event_id"].is_string() && by_owner["revoked_at"].is_string());

    let page = platform
        .read("/v1/audit/revocations?limit=1", access(&admin))
        .await;
    let link = page.headers()["link"].to_str().expect("link").to_owned();
    assert!(link.contains("rel=\"next\""), "{link}");
    let forbidden = platform
        .read("/v1/audit/revocations", access(&ada_one))
        .await;
    assert_eq!(
        forbidden.status(),
        401,
        "an ended session reads nothing either"
    );
    let ada_new = platform
        .session_of("ada@example.test", "ada's password")
        .await;
    let forbidden = platform
        .read("/v1/audit/revocations", access(&ada_new))
        .await;
    assert_eq!(forbidden.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_absolute_lifetimes_end_sessions() {
    let platform = Platform::start_with(Options {
        sessions: SessionArgs {
            idle_timeout_secs: 30 * 60,
            lifetime_secs: 2 * 60 * 60,
            ..SessionArgs::default()
        },
        ..Options::default()
    })
    .await;
    let idle = platform.admin_session().await;
    let kept = platform.admin_session().await;
    let mut refresh = kept["refresh_token"].as_str().expect("refresh").to_owned();

    let list = platform
        .read(&sessions_path(&kept["principal_id"]), access(&kept))
        .await;
    let list: Value = list.json().await.expect("list");
    let entry = list
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["session_id"] == kept["session_id"])
        .expect("listed");
    assert!(entry["expires_at"].is_string() && entry["idle_expires_at"].is_string());

    // Every 25 minutes the kept session is refreshed; the idle one is not.
    let mut latest = kept.clone();
    for _ in 0..4 {
        platform.clock.advance(Duration::minutes(25));
        let response = platform.refresh(&refresh).await;
        assert_eq!(response.status(), 200, "refreshed in time");
        latest = response.json().await.expect("tokens");
        refresh = latest["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_owned();
    }
    assert_eq!(
        platform.introspect(access(&idle)).await["active"],
        false,
        "idle expiry"
    );
    assert_eq!(platform.introspect(access(&latest)).await["active"], true);

    platform.clock.advance(Duration::minutes(25)); // 125 minutes: past the 2 h lifetime
    assert_eq!(
        platform.introspect(access(&latest)).await["active"],
        false,
        "absolute expiry"
    );
    assert_eq!(platform.refresh(&refresh).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_min_version_beyond_the_stream_is_refused_at_once() {
    let platform = Platform::start().await;
    let introspector = platform.introspector().await;
    let session = platform.admin_session().await;
    let version = session["version"].as_i64().expect("version");
    let token = access(&session);

    let list = format!(
        "{}?min_version={}",
        sessions_path(&session["principal_id"]),
        i64::MAX
    );
    let refused = platform.read(&list, token).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["code"], "version_not_reached");

    let introspected = platform
        .http
        .post(format!(
            "{}/v1/tokens/introspect?min_version={}",
            platform.query,
            version + 1
        ))
        .bearer_auth(&introspector)
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("query-api answers");
    assert_eq!(introspected.status(), 422);

    let active = active_ids(&platform, token, &session["principal_id"], version).await;
    assert!(active.contains(&session["session_id"]), "{active:?}");
}
