//! A customer changes its login and password over HTTP: only with its current password (an
//! admin with `customers:write` without it); a new email is sealed in its event, taken away
//! from the old one (which signs up anew) and unique like a sign-up's; a new password ends the
//! customer's other sessions with `PASSWORD_CHANGED`, an admin's ends them all. Every refusal
//! names its field and writes nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::customers::{PASSWORD, customer, projected, sign_up};
use crate::support::{Platform, access};

const NEW_PASSWORD: &str = "a brand new customer passphrase";

async fn post(platform: &Platform, path: &str, token: &str, body: Value) -> (u16, Value) {
    let answer = platform
        .command_with(Method::POST, path, token, Some(body))
        .await;
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The customer's events of `event_type`, payloads as text.
async fn payloads(platform: &Platform, id: &str, event_type: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE stream_id = $1 AND event_type = $2 \
         ORDER BY version",
    )
    .bind(format!("customer-{id}"))
    .bind(event_type)
    .fetch_all(&platform.stack.db.pool)
    .await
    .expect("events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_changes_its_email_with_its_password_and_logs_in_with_the_new_one() {
    let platform = Platform::start().await;
    let (id, session) = customer(&platform, "ada.old@example.test", "Ada").await;
    customer(&platform, "grace@example.test", "Grace").await;
    let token = access(&session);
    let path = format!("/v1/customers/{id}/email");

    let before = platform.event_count().await;
    for (body, status, field) in [
        (
            json!({ "email": "ada.new@example.test" }),
            422,
            "current_password",
        ),
        (
            json!({ "email": "ada.new@example.test", "current_password": "a wrong guess here" }),
            422,
            "current_password",
        ),
        (
            json!({ "email": "not an email", "current_password": PASSWORD }),
            422,
            "email",
        ),
        (
            json!({ "email": " GRACE@example.test", "current_password": PASSWORD }),
            409,
            "",
        ),
    ] {
        let (got, problem) = post(&platform, &path, token, body.clone()).await;
        assert_eq!(got, status, "{body}: {problem}");
        match status {
            409 => assert_eq!(problem["code"], "email_taken", "{problem}"),
            _ => assert_eq!(problem["field"], field, "{problem}"),
        }
    }
    assert_eq!(
        platform.event_count().await,
        before,
        "refusals write nothing"
    );

    let body = json!({ "email": "Ada.New@example.test", "current_password": PASSWORD });
    let (status, changed) = post(&platform, &path, token, body.clone()).await;
    assert_eq!(status, 200, "{changed}");
    let (status, again) = post(&platform, &path, token, body).await;
    assert_eq!(
        (status, &again),
        (200, &changed),
        "the same email changes nothing"
    );
    let recorded = payloads(&platform, &id, "customer.email_changed.v1").await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert!(!recorded[0].contains("ada.new"), "sealed: {}", recorded[0]);

    assert_eq!(
        platform
            .login("ada.old@example.test", PASSWORD)
            .await
            .status(),
        401
    );
    platform.session_of("ada.new@example.test", PASSWORD).await;
    let read = format!("/v1/customers/{id}?min_version={}", changed["version"]);
    let account = projected(&platform, &read, token).await;
    assert_eq!(account["email"], "ada.new@example.test", "{account}");
    let export = platform
        .read(&format!("/v1/customers/{id}/export"), token)
        .await;
    let export: Value = export.json().await.expect("export");
    assert_eq!(export["profile"]["email"], "ada.new@example.test");

    let freed = json!({ "email": "ada.old@example.test", "password": PASSWORD, "name": "New" });
    assert_eq!(
        sign_up(&platform, freed).await.status(),
        201,
        "the old email is free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_ends_the_other_sessions_and_an_admin_s_ends_them_all() {
    let platform = Platform::start().await;
    let email = "linnea@example.test";
    let (id, kept) = customer(&platform, email, "Linnea").await;
    let other = platform.session_of(email, PASSWORD).await;
    let path = format!("/v1/customers/{id}/password");

    let before = platform.event_count().await;
    for (body, field) in [
        (json!({ "new_password": NEW_PASSWORD }), "current_password"),
        (
            json!({ "current_password": "a wrong guess here", "new_password": NEW_PASSWORD }),
            "current_password",
        ),
        (
            json!({ "current_password": PASSWORD, "new_password": "password1234" }),
            "new_password",
        ),
        (
            json!({ "current_password": PASSWORD, "new_password": "linnea@example.test 2026" }),
            "new_password",
        ),
    ] {
        let (status, problem) = post(&platform, &path, access(&kept), body.clone()).await;
        assert_eq!(
            (status, &problem["field"]),
            (422, &json!(field)),
            "{body}: {problem}"
        );
    }
    assert_eq!(
        platform.event_count().await,
        before,
        "refusals write nothing"
    );

    let body = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    let (status, answer) = post(&platform, &path, access(&kept), body).await;
    assert_eq!(status, 200, "{answer}");
    platform.until_active(access(&other), false).await;
    assert_eq!(platform.introspect(access(&kept)).await["active"], true);
    assert_eq!(platform.login(email, PASSWORD).await.status(), 401);
    let fresh = platform.session_of(email, NEW_PASSWORD).await;
    assert_eq!(platform.revocation_reasons(&id).await, ["PASSWORD_CHANGED"]);

    let admin = platform.admin_session().await;
    let set = json!({ "new_password": "set by the shop's support" });
    let (status, answer) = post(&platform, &path, access(&admin), set).await;
    assert_eq!(status, 200, "{answer}");
    platform.until_active(access(&kept), false).await;
    platform.until_active(access(&fresh), false).await;
    platform
        .session_of(email, "set by the shop's support")
        .await;
    let recorded = payloads(&platform, &id, "customer.password_changed.v1").await;
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(
        recorded.iter().all(|p| !p.contains("argon2")),
        "no hash in events"
    );
}
