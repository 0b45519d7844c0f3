//! `GET /v1/audit/events`: who changed which role or user when — every event with its actor
//! and trace, filtered by stream, category, type and actor, newest first, in keyset pages that
//! add up to the whole list.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Platform, access};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

async fn page(platform: &Platform, token: &str, query: &str) -> Value {
    let response = platform
        .read(&format!("/v1/audit/events?{query}"), token)
        .await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.expect("page")
}

fn types(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trail_tells_who_changed_which_role_when() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let admin = access(&session);
    let admin_id = session["principal_id"].as_str().expect("id");
    let created = platform
        .http
        .post(format!("{}/v1/roles", platform.command))
        .bearer_auth(admin)
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .json(&json!({ "name": "auditor", "permissions": ["audit:read", "users:read"] }))
        .send()
        .await
        .expect("answers");
    assert_eq!(created.status(), 201);
    let role: Value = created.json().await.expect("body");
    let role_id = role["role_id"].as_str().expect("id");
    let path = format!("/v1/roles/{role_id}/permissions/users:read");
    let revoked = platform
        .command_with(Method::DELETE, &path, admin, None)
        .await;
    assert_eq!(revoked.status(), 200);

    let roles = page(&platform, admin, "category=roles").await;
    assert_eq!(
        types(&roles),
        [
            "role.permission_revoked.v1",
            "role.created.v1",
            "role.created.v1"
        ],
        "newest first, the bootstrap's admin role last"
    );
    let newest = &roles["items"][0];
    assert_eq!(newest["stream_id"], format!("role-{role_id}"));
    assert_eq!(newest["actor"], json!({ "type": "user", "id": admin_id }));
    assert_eq!(newest["payload"]["permission"], "users:read");
    assert_eq!(roles["items"][1]["trace_id"], TRACE_ID);
    assert_eq!(
        roles["items"][2]["actor"],
        json!({ "type": "system", "id": "bootstrap" })
    );
    assert_eq!(roles["next_cursor"], Value::Null);

    let one = page(
        &platform,
        admin,
        &format!("stream=role-{role_id}&type=role.created.v1"),
    )
    .await;
    assert_eq!(types(&one), ["role.created.v1"]);
    let by_admin = page(&platform, admin, &format!("actor_id={admin_id}")).await;
    assert!(
        types(&by_admin).iter().all(|t| !t.starts_with("user.")),
        "the admin's own registration was the bootstrap's act: {by_admin}"
    );
    assert!(types(&by_admin).contains(&"session.started.v1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_add_up_to_the_whole_list_and_bad_queries_are_refused() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let admin = access(&session);
    for name in ["one", "two", "three"] {
        let body = json!({ "name": name, "permissions": [] });
        assert_eq!(
            platform.command("/v1/roles", admin, body).await.status(),
            201
        );
    }
    let whole = page(&platform, admin, "limit=200").await;
    let mut paged = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let current = page(&platform, admin, &query).await;
        paged.extend(current["items"].as_array().expect("items").iter().cloned());
        match current["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert!(
        paged.len() >= 6,
        "admin role, admin user (2), session, three roles"
    );
    assert_eq!(Value::Array(paged), whole["items"]);

    for bad in [
        "category=accounts",
        "limit=0",
        "limit=201",
        "cursor=bm90LWEtY3Vyc29y",
    ] {
        let response = platform
            .read(&format!("/v1/audit/events?{bad}"), admin)
            .await;
        assert_eq!(response.status(), 422, "{bad}");
    }
}
