//! What a holder of `roles:write` does to a role once it exists: rename and describe it, grant
//! and revoke permissions, delete it (it grants nothing from then on, its name is free again,
//! every later change answers 404, and its holders' histories record losing it). Each refusal writes nothing.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use devtools::testing::eventually;

use crate::support::{Platform, TIMEOUT, access};

const PASSWORD: &str = "a long and unusual passphrase";

/// A role granting `permissions`; its id.
async fn role(platform: &Platform, admin: &Value, name: &str, permissions: &[&str]) -> String {
    let body = json!({ "name": name, "permissions": permissions });
    let response = platform.command("/v1/roles", access(admin), body).await;
    assert_eq!(response.status(), 201, "role created");
    let created: Value = response.json().await.expect("body");
    created["role_id"].as_str().expect("id").to_owned()
}

/// A user holding `role_id`, logged in afresh.
async fn holder(platform: &Platform, admin: &Value, role_id: &str) -> (Uuid, String) {
    let user = platform.register_user("grace@example.test", PASSWORD).await;
    let path = format!("/v1/users/{user}/roles");
    let given = platform
        .command(&path, access(admin), json!({ "role_id": role_id }))
        .await;
    assert_eq!(given.status(), 200, "role given");
    (user, fresh_token(platform).await)
}

async fn fresh_token(platform: &Platform) -> String {
    let session = platform.session_of("grace@example.test", PASSWORD).await;
    access(&session).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_is_renamed_and_described_and_its_name_stays_unique() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let id = role(&platform, &admin, "auditor", &["audit:read"]).await;
    let path = format!("/v1/roles/{id}");
    let edit =
        |body: Value| platform.command_with(Method::PATCH, &path, access(&admin), Some(body));

    let changed = edit(json!({ "name": "Auditors", "description": "Reads the trail" })).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().await.expect("body")["version"], 3);
    let before = platform.event_count().await;
    let taken = edit(json!({ "name": "ADMIN" })).await;
    assert_eq!(taken.status(), 409);
    assert_eq!(
        taken.json::<Value>().await.expect("problem")["code"],
        "role_name_taken"
    );
    assert_eq!(edit(json!({})).await.status(), 422);
    let bad = edit(json!({ "name": "a/b" })).await;
    assert_eq!(bad.json::<Value>().await.expect("problem")["field"], "name");
    let unknown = platform
        .command_with(
            Method::PATCH,
            &format!("/v1/roles/{}", Uuid::now_v7()),
            access(&admin),
            Some(json!({ "name": "nobody" })),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        platform.event_count().await,
        before,
        "refusals write nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_granted_and_revoked_are_what_its_holders_get() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let id = role(&platform, &admin, "auditor", &["audit:read"]).await;
    let (user, token) = holder(&platform, &admin, &id).await;
    let sessions = format!("/v1/principals/{user}/sessions");
    let others = format!("/v1/principals/{}/sessions", Uuid::now_v7());
    assert_eq!(platform.read(&others, &token).await.status(), 404);

    let path = format!("/v1/roles/{id}/permissions");
    let granted = platform
        .command(
            &path,
            access(&admin),
            json!({ "permission": "sessions:read" }),
        )
        .await;
    assert_eq!(granted.status(), 200);
    let token = fresh_token(&platform).await;
    assert_eq!(platform.read(&others, &token).await.status(), 200);
    assert_eq!(platform.read(&sessions, &token).await.status(), 200);

    let revoked = platform
        .command_with(
            Method::DELETE,
            &format!("{path}/audit:read"),
            access(&admin),
            None,
        )
        .await;
    assert_eq!(revoked.status(), 200);
    let token = fresh_token(&platform).await;
    assert_eq!(
        platform
            .read("/v1/audit/revocations", &token)
            .await
            .status(),
        403
    );

    let before = platform.event_count().await;
    let unknown = platform
        .command(&path, access(&admin), json!({ "permission": "root" }))
        .await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(
        unknown.json::<Value>().await.expect("problem")["field"],
        "permission"
    );
    let no_role = format!("/v1/roles/{}/permissions", Uuid::now_v7());
    let missing = platform
        .command(
            &no_role,
            access(&admin),
            json!({ "permission": "audit:read" }),
        )
        .await;
    assert_eq!(missing.status(), 404);
    let not_allowed = platform
        .command(&path, &token, json!({ "permission": "roles:write" }))
        .await;
    assert_eq!(
        not_allowed.status(),
        403,
        "a holder may not widen its own role"
    );
    assert_eq!(
        platform.event_count().await,
        before,
        "refusals write nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_role_grants_nothing_frees_its_name_and_changes_no_more() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let id = role(&platform, &admin, "auditor", &["audit:read"]).await;
    let (user, _) = holder(&platform, &admin, &id).await;
    let path = format!("/v1/roles/{id}");

    let deleted = platform
        .command_with(Method::DELETE, &path, access(&admin), None)
        .await;
    assert_eq!(deleted.status(), 200);
    let token = fresh_token(&platform).await;
    assert_eq!(
        platform
            .read("/v1/audit/revocations", &token)
            .await
            .status(),
        403
    );
    let again = platform
        .command_with(Method::DELETE, &path, access(&admin), None)
        .await;
    assert_eq!(again.status(), 404);
    let give = platform
        .command(
            &format!("/v1/users/{user}/roles"),
            access(&admin),
            json!({ "role_id": id }),
        )
        .await;
    assert_eq!(give.status(), 404, "a deleted role cannot be given");
    role(&platform, &admin, "Auditor", &[]).await;

    // The holder's history records losing it, as the admin's act.
    let stream = events::topics::Category::Users.stream_id(user);
    let actor = eventually(TIMEOUT, "the holder's role_unassigned", || async {
        sqlx::query_scalar::<_, Value>(
            "SELECT metadata->'actor' FROM events \
             WHERE stream_id = $1 AND event_type = 'user.role_unassigned.v1'",
        )
        .bind(&stream)
        .fetch_optional(&platform.stack.db.pool)
        .await
        .expect("events readable")
    })
    .await;
    assert_eq!(
        actor,
        json!({ "type": "user", "id": admin["principal_id"] })
    );
}
