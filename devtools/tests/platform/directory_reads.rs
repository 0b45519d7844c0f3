//! The directory on query-api: `GET /v1/users` filtered and paged by keyset, `GET
//! /v1/users/{id}` with roles and effective permissions, `GET /v1/roles` and `GET
//! /v1/roles/{id}` with holders; `?min_version=` reads one's own writes; bad parameters 422.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Platform, TIMEOUT, access};

const PASSWORD: &str = "a long and unusual passphrase";

async fn created(platform: &Platform, token: &str, path: &str, body: Value) -> Value {
    let response = platform.command(path, token, body).await;
    assert_eq!(response.status(), 201, "{path}");
    response.json().await.expect("body")
}

/// A read as a client makes it: a 503 (the projection not there yet, say) is retried after
/// its Retry-After, for a while.
async fn read(platform: &Platform, token: &str, path: &str) -> (u16, Value) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let response = platform.read(path, token).await;
        let status = response.status().as_u16();
        if status != 503 || tokio::time::Instant::now() >= deadline {
            return (status, response.json().await.unwrap_or(Value::Null));
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Every page of `path` (which has a `?`), following the cursors; the ids in order.
async fn every_page(platform: &Platform, token: &str, path: &str, id: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let (status, page) = read(platform, token, &page_path).await;
        assert_eq!(status, 200, "{page_path}: {page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2, "the limit holds");
        ids.extend(items.iter().map(|i| i[id].as_str().expect("id").to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_listed_filtered_and_paged_and_shown_with_what_they_may_do() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let token = access(&admin);
    let support = created(
        &platform,
        token,
        "/v1/roles",
        json!({ "name": "support", "permissions": ["users:read", "sessions:read"] }),
    )
    .await;
    let support_id = support["role_id"].as_str().expect("id");
    let mut users = Vec::new();
    for (email, name) in [
        ("grace@example.test", "Grace Hopper"),
        ("ada@example.test", "Ada Lovelace"),
        ("gretchen@example.test", "Gretchen 100%_off"),
        ("linus@example.test", "Linus"),
    ] {
        let body = json!({ "email": email, "password": PASSWORD, "display_name": name });
        let user = created(&platform, token, "/v1/users", body).await;
        users.push(user["user_id"].as_str().expect("id").to_owned());
    }
    for user in &users[..2] {
        let path = format!("/v1/users/{user}/roles");
        let given = platform
            .command(&path, token, json!({ "role_id": support_id }))
            .await;
        assert_eq!(given.status(), 200);
    }
    let disabled = platform
        .command(&format!("/v1/users/{}/disable", users[1]), token, json!({}))
        .await;
    assert_eq!(disabled.status(), 200);
    let version = disabled.json::<Value>().await.expect("body")["version"]
        .as_i64()
        .expect("version");

    // Read-your-writes, per stream: the role as created, the disable in the user's answer,
    // however far behind the projector was.
    let (status, _) = read(
        &platform,
        token,
        &format!("/v1/roles/{support_id}?min_version=1"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, ada) = read(
        &platform,
        token,
        &format!("/v1/users/{}?min_version={version}", users[1]),
    )
    .await;
    assert_eq!(status, 200, "{ada}");
    assert_eq!(ada["disabled"], true);
    assert_eq!(ada["version"], version);
    assert_eq!(
        ada["roles"],
        json!([{ "role_id": support_id, "name": "support" }])
    );
    assert_eq!(ada["permissions"], json!([]), "disabled: holds nothing");
    let (_, grace) = read(
        &platform,
        token,
        &format!("/v1/users/{}?min_version=2", users[0]),
    )
    .await;
    assert_eq!(grace["email"], "grace@example.test");
    assert_eq!(grace["permissions"], json!(["sessions:read", "users:read"]));

    // Every user once, in registration order, two by two; the bootstrap admin first.
    for user in &users {
        let path = format!("/v1/users/{user}?min_version=1");
        assert_eq!(
            read(&platform, token, &path).await.0,
            200,
            "{user} projected"
        );
    }
    let all = every_page(&platform, token, "/v1/users?limit=2", "user_id").await;
    assert_eq!(all.len(), 5, "{all:?}");
    assert_eq!(all[1..], users[..], "registration order");
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 5, "no repeats");

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|u| u["user_id"].as_str().expect("id").to_owned())
            .collect()
    };
    let (_, by_prefix) = read(&platform, token, "/v1/users?q=GR").await;
    assert_eq!(
        ids(&by_prefix),
        [users[0].clone(), users[2].clone()],
        "email prefix"
    );
    let (_, by_name) = read(&platform, token, "/v1/users?q=ada%20l").await;
    assert_eq!(ids(&by_name), [users[1].clone()], "display-name prefix");
    let (_, literal) = read(&platform, token, "/v1/users?q=%25").await;
    assert_eq!(ids(&literal), Vec::<String>::new(), "% is no wildcard");
    let (_, holders) = read(&platform, token, &format!("/v1/users?role={support_id}")).await;
    assert_eq!(ids(&holders), users[..2]);
    let (_, off) = read(&platform, token, "/v1/users?disabled=true").await;
    assert_eq!(ids(&off), [users[1].clone()]);
    let path = format!("/v1/users?role={support_id}&disabled=false&q=g");
    let (_, combined) = read(&platform, token, &path).await;
    assert_eq!(ids(&combined), [users[0].clone()]);

    for bad in [
        "/v1/users?limit=0",
        "/v1/users?limit=201",
        "/v1/users?cursor=not-a-cursor",
        "/v1/users?q=%00",
    ] {
        let (status, problem) = read(&platform, token, bad).await;
        assert_eq!(status, 422, "{bad}: {problem}");
    }
    let (status, _) = read(&platform, token, "/v1/users?role=admin").await;
    assert_eq!(status, 400, "a role is named by its id");
    let beyond = format!("/v1/users/{}?min_version=99", users[0]);
    let (status, problem) = read(&platform, token, &beyond).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("version_not_reached"))
    );
    let unknown = format!("/v1/users/{}", uuid::Uuid::now_v7());
    assert_eq!(read(&platform, token, &unknown).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_listed_and_shown_with_their_holders_until_deleted() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let token = access(&admin);
    let mut roles = Vec::new();
    for name in ["support", "auditor", "billing"] {
        let body = json!({ "name": name, "description": "a team", "permissions": ["audit:read"] });
        let role = created(&platform, token, "/v1/roles", body).await;
        roles.push(role["role_id"].as_str().expect("id").to_owned());
    }
    let body = json!({ "email": "grace@example.test", "password": PASSWORD, "display_name": "G" });
    let grace = created(&platform, token, "/v1/users", body).await;
    let grace = grace["user_id"].as_str().expect("id");
    let given = platform
        .command(
            &format!("/v1/users/{grace}/roles"),
            token,
            json!({ "role_id": roles[0] }),
        )
        .await;
    assert_eq!(given.status(), 200);
    let grant = platform
        .command(
            &format!("/v1/roles/{}/permissions", roles[0]),
            token,
            json!({ "permission": "users:read" }),
        )
        .await;
    let version = grant.json::<Value>().await.expect("body")["version"].clone();

    let (status, support) = read(
        &platform,
        token,
        &format!("/v1/roles/{}?min_version={version}", roles[0]),
    )
    .await;
    assert_eq!(status, 200, "{support}");
    assert_eq!(support["name"], "support");
    assert_eq!(support["permissions"], json!(["audit:read", "users:read"]));
    assert_eq!(support["version"], version);
    // Grace's assignment is on her own stream: wait for it too.
    let (_, _) = read(
        &platform,
        token,
        &format!("/v1/users/{grace}?min_version=2"),
    )
    .await;
    let (_, support) = read(&platform, token, &format!("/v1/roles/{}", roles[0])).await;
    assert_eq!(support["holder_count"], 1);
    assert_eq!(support["holders"][0]["user_id"], grace);
    assert_eq!(support["holders"][0]["email"], "grace@example.test");

    // Each role is its own stream: wait until the projection has every one.
    for role in &roles {
        let path = format!("/v1/roles/{role}?min_version=1");
        assert_eq!(
            read(&platform, token, &path).await.0,
            200,
            "{role} projected"
        );
    }
    let all = every_page(&platform, token, "/v1/roles?limit=2", "role_id").await;
    assert_eq!(all.len(), 4, "admin and the three: {all:?}");
    assert_eq!(all[1..], roles[..]);

    let deleted = platform
        .command_with(
            Method::DELETE,
            &format!("/v1/roles/{}", roles[1]),
            token,
            None,
        )
        .await;
    let version = deleted.json::<Value>().await.expect("body")["version"].clone();
    let gone = format!("/v1/roles/{}?min_version={version}", roles[1]);
    assert_eq!(read(&platform, token, &gone).await.0, 404);
    let all = every_page(&platform, token, "/v1/roles?limit=2", "role_id").await;
    assert!(!all.contains(&roles[1]), "a deleted role is not listed");
}
