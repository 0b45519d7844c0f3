//! `POST /v1/users`: an admin registers a user who can log in at once; an email is one
//! account's only, in every spelling; a field that breaks its rule is named in the 422 and
//! nothing is written; only holders of `users:write` may register.

use serde_json::{Value, json};

use crate::support::{ADMIN_LOGIN, Platform, access};

const PASSWORD: &str = "a long and unusual passphrase";

fn user(email: &str) -> Value {
    json!({ "email": email, "password": PASSWORD, "display_name": "Grace Hopper" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_registers_a_user_who_logs_in_at_once() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let response = platform
        .command("/v1/users", access(&admin), user("Grace@Example.test"))
        .await;
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.expect("body");
    assert_eq!(registered["version"], 1);
    let session = platform.session_of(" grace@example.TEST", PASSWORD).await;
    assert_eq!(session["principal_id"], registered["user_id"]);
    assert_eq!(session["principal_type"], "user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_is_one_accounts_only_in_every_spelling() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let first = platform
        .command("/v1/users", access(&admin), user("grace@example.test"))
        .await;
    assert_eq!(first.status(), 201);
    for taken in [
        " GRACE@example.test ",
        "ｇｒａｃｅ@example.test",
        ADMIN_LOGIN,
    ] {
        let response = platform
            .command("/v1/users", access(&admin), user(taken))
            .await;
        assert_eq!(response.status(), 409, "{taken:?}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "email_taken");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_registrations_of_one_email_at_once_give_one_201_and_one_409() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let (a, b) = tokio::join!(
        platform.command("/v1/users", access(&admin), user("ada@example.test")),
        platform.command("/v1/users", access(&admin), user("ADA@example.test")),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_that_breaks_its_rule_is_named_and_nothing_is_written() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let before = platform.event_count().await;
    let cases = [
        (
            json!({ "email": "not an email", "password": PASSWORD, "display_name": "G" }),
            "email",
        ),
        (
            json!({ "email": "g@example.test", "password": "too short", "display_name": "G" }),
            "password",
        ),
        (
            json!({ "email": "g@example.test", "password": "1qaz2wsx3edc", "display_name": "G" }),
            "password",
        ),
        (
            json!({ "email": "hopper@example.test", "password": "hopper rules forever", "display_name": "G" }),
            "password",
        ),
        (
            json!({ "email": "g@example.test", "password": PASSWORD, "display_name": "  " }),
            "display_name",
        ),
    ];
    for (body, field) in cases {
        let response = platform
            .command("/v1/users", access(&admin), body.clone())
            .await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.expect("problem");
        assert_eq!(problem["code"], "invalid_field", "{body}");
        assert_eq!(problem["field"], field, "{body}");
    }
    assert_eq!(platform.event_count().await, before, "nothing was appended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_holders_of_users_write_register() {
    let platform = Platform::start().await;
    let anonymous = platform
        .http
        .post(format!("{}/v1/users", platform.command))
        .json(&user("eve@example.test"))
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
    let response = platform
        .command("/v1/users", access(&plain), user("eve@example.test"))
        .await;
    assert_eq!(response.status(), 403);
}
