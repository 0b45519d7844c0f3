//! Every admin route checks what the caller may do now, not what its token was issued with:
//! a role that loses a permission, a role taken away or deleted, a disabled user — the next
//! request with the token already issued is refused, on both servers, and introspection
//! answers the current permissions. Redis emptied meanwhile changes nothing: the grants are
//! folded from the event store.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Options, Platform, access};

const PASSWORD: &str = "a long and unusual passphrase";
const AUDIT: &str = "/v1/audit/revocations";

/// A role granting `permissions` given to a new user, and that user's live access token.
async fn holder(
    platform: &Platform,
    admin: &Value,
    permissions: &[&str],
) -> (String, Uuid, String) {
    let body = json!({ "name": "auditor", "permissions": permissions });
    let created: Value = platform
        .command("/v1/roles", access(admin), body)
        .await
        .json()
        .await
        .expect("role");
    let role_id = created["role_id"].as_str().expect("id").to_owned();
    let user = platform.register_user("grace@example.test", PASSWORD).await;
    let given = platform
        .command(
            &format!("/v1/users/{user}/roles"),
            access(admin),
            json!({ "role_id": role_id }),
        )
        .await;
    assert_eq!(given.status(), 200, "role given");
    let session = platform.session_of("grace@example.test", PASSWORD).await;
    (role_id, user, access(&session).to_owned())
}

async fn register(platform: &Platform, token: &str, email: &str) -> u16 {
    let body = json!({ "email": email, "password": PASSWORD, "display_name": "New" });
    platform
        .command("/v1/users", token, body)
        .await
        .status()
        .as_u16()
}

async fn audit(platform: &Platform, token: &str) -> u16 {
    platform.read(AUDIT, token).await.status().as_u16()
}

async fn revoke(platform: &Platform, admin: &Value, role_id: &str, permission: &str) {
    let path = format!("/v1/roles/{role_id}/permissions/{permission}");
    let response = platform
        .command_with(Method::DELETE, &path, access(admin), None)
        .await;
    assert_eq!(response.status(), 200, "revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_revoked_from_a_role_is_refused_to_live_tokens_at_once() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let (role_id, _, token) = holder(&platform, &admin, &["audit:read", "users:write"]).await;
    assert_eq!(audit(&platform, &token).await, 200);
    assert_eq!(register(&platform, &token, "one@example.test").await, 201);

    revoke(&platform, &admin, &role_id, "audit:read").await;
    assert_eq!(audit(&platform, &token).await, 403, "query-api checks now");
    let introspected = platform.introspect(&token).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["permissions"], json!(["users:write"]));
    revoke(&platform, &admin, &role_id, "users:write").await;
    assert_eq!(
        register(&platform, &token, "two@example.test").await,
        403,
        "command-api too"
    );
    assert_eq!(platform.introspect(&token).await["permissions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_taken_away_or_deleted_grants_nothing_to_live_tokens() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let (role_id, user, token) = holder(&platform, &admin, &["audit:read"]).await;
    let assignment = format!("/v1/users/{user}/roles");
    assert_eq!(audit(&platform, &token).await, 200);

    let taken = platform
        .command_with(
            Method::DELETE,
            &format!("{assignment}/{role_id}"),
            access(&admin),
            None,
        )
        .await;
    assert_eq!(taken.status(), 200);
    assert_eq!(audit(&platform, &token).await, 403);
    let given = platform
        .command(&assignment, access(&admin), json!({ "role_id": role_id }))
        .await;
    assert_eq!(given.status(), 200);
    assert_eq!(audit(&platform, &token).await, 200, "given back");

    let deleted = platform
        .command_with(
            Method::DELETE,
            &format!("/v1/roles/{role_id}"),
            access(&admin),
            None,
        )
        .await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(audit(&platform, &token).await, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_users_live_token_is_refused_on_both_servers() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let (_, user, token) = holder(&platform, &admin, &["audit:read", "users:write"]).await;
    let disable = format!("/v1/users/{user}/disable");
    assert_eq!(
        platform
            .command(&disable, access(&admin), json!({}))
            .await
            .status(),
        200
    );
    assert_eq!(audit(&platform, &token).await, 401);
    assert_eq!(register(&platform, &token, "late@example.test").await, 401);
    assert_eq!(platform.introspect(&token).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_emptied_current_permissions_come_from_the_event_store() {
    let platform = Platform::start_with(Options {
        private_redis: true,
        ..Options::default()
    })
    .await;
    let admin = platform.admin_session().await;
    let (role_id, _, token) = holder(&platform, &admin, &["audit:read"]).await;
    assert_eq!(audit(&platform, &token).await, 200, "grants cached");
    let mut redis = platform.redis().await;
    redis::cmd("FLUSHALL")
        .query_async::<()>(&mut redis)
        .await
        .expect("flushed");
    let path = format!("/v1/roles/{role_id}/permissions/audit:read");
    let revoked = platform
        .command_with(Method::DELETE, &path, access(&admin), None)
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(audit(&platform, &token).await, 403);
    let granted = platform
        .command(
            &format!("/v1/roles/{role_id}/permissions"),
            access(&admin),
            json!({ "permission": "audit:read" }),
        )
        .await;
    assert_eq!(granted.status(), 200);
    assert_eq!(audit(&platform, &token).await, 200);
}
