//! `POST /v1/roles`: a holder of `roles:write` creates a role; its name is one role's only,
//! in any case; a field that breaks its rule is named and nothing is written.

use serde_json::{Value, json};

use crate::support::{Platform, access};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_role_whose_name_is_taken_in_any_case() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let role = |name: &str| json!({ "name": name, "permissions": ["sessions:read", "audit:read"] });
    let created = platform
        .command("/v1/roles", access(&admin), role("Support"))
        .await;
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.expect("body");
    assert_eq!(body["version"], 1);
    assert!(body["role_id"].as_str().is_some());
    for taken in ["support", " SUPPORT ", "admin"] {
        let response = platform
            .command("/v1/roles", access(&admin), role(taken))
            .await;
        assert_eq!(response.status(), 409, "{taken:?}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "role_name_taken");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_field_that_breaks_its_rule_is_named_and_nothing_is_written() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let before = platform.event_count().await;
    let cases = [
        (json!({ "name": "a/b", "permissions": [] }), "name"),
        (json!({ "name": "", "permissions": [] }), "name"),
        (
            json!({ "name": "ops", "permissions": ["root"] }),
            "permissions",
        ),
        (
            json!({ "name": "ops", "description": "x".repeat(501), "permissions": [] }),
            "description",
        ),
    ];
    for (body, field) in cases {
        let response = platform
            .command("/v1/roles", access(&admin), body.clone())
            .await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["field"], field, "{body}");
    }
    assert_eq!(platform.event_count().await, before, "nothing was appended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_holders_of_roles_write_create_roles() {
    let platform = Platform::start().await;
    let body = json!({ "name": "ops", "permissions": [] });
    let anonymous = platform
        .http
        .post(format!("{}/v1/roles", platform.command))
        .json(&body)
        .send()
        .await
        .expect("answers");
    assert_eq!(anonymous.status(), 401);
    platform
        .register_user("plain@example.test", "plain user password")
        .await;
    let plain = platform
        .session_of("plain@example.test", "plain user password")
        .await;
    let response = platform.command("/v1/roles", access(&plain), body).await;
    assert_eq!(response.status(), 403);
}
