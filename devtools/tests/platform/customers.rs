//! Customers over HTTP on the whole platform: anyone signs up and logs in as a customer; an
//! email is one principal's only; personal values reach the event store only sealed; a customer
//! acts on itself only (another's id answers 404), a user needs the permission (403); erasure
//! ends the customer's sessions, frees its email, and answers the same when repeated.

use reqwest::Method;
use serde_json::{Value, json};

use devtools::testing::eventually;

use crate::support::{ADMIN_PASSWORD, Platform, TIMEOUT, access};

pub(crate) const PASSWORD: &str = "a long customer passphrase";

/// Reads `path` (with `?min_version=`) until the projection has reached it: the first read of
/// a platform just started can outlast one bounded wait while its consumer joins its group.
pub(crate) async fn projected(platform: &Platform, path: &str, token: &str) -> Value {
    eventually(
        TIMEOUT,
        "the customer directory to reach the version",
        || async {
            let answer = platform.read(path, token).await;
            let status = answer.status();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            assert!(status == 200 || status == 503, "{path}: {status} {body}");
            (status == 200).then_some(body)
        },
    )
    .await
}

pub(crate) async fn sign_up(platform: &Platform, body: Value) -> reqwest::Response {
    platform
        .http
        .post(format!("{}/v1/customers", platform.command))
        .json(&body)
        .send()
        .await
        .expect("command-api answers")
}

/// Sends `body` to `path` on command-api as `token` (if any), from user agent `agent`; asserts
/// success and answers the JSON body (null when there is none).
pub(crate) async fn send_from(
    platform: &Platform,
    agent: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    let client = reqwest::Client::builder()
        .user_agent(agent)
        .build()
        .expect("client");
    let mut request = client
        .request(method, format!("{}{path}", platform.command))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.expect("command-api answers");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap_or(Value::Null)
}

/// Signs `email` up and logs it in: its id and token response.
pub(crate) async fn customer(platform: &Platform, email: &str, name: &str) -> (String, Value) {
    let body =
        json!({ "email": email, "password": PASSWORD, "name": name, "phone": "+41 44 668 18 00" });
    let answer = sign_up(platform, body).await;
    assert_eq!(answer.status(), 201, "sign-up of {email}");
    let id = answer.json::<Value>().await.expect("json")["customer_id"]
        .as_str()
        .expect("customer id")
        .to_owned();
    let session = platform.session_of(email, PASSWORD).await;
    assert_eq!(session["principal_type"], "customer");
    assert_eq!(session["principal_id"], id.as_str());
    (id, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_signs_up_sealed_logs_in_and_is_refused_what_is_not_its_own() {
    let platform = Platform::start().await;
    let (id, _) = customer(&platform, "Marker.Ada.7f3@example.test", "Marker Ada 7f3").await;

    let taken = sign_up(
        &platform,
        json!({ "email": " marker.ada.7F3@EXAMPLE.test", "password": PASSWORD, "name": "Other" }),
    )
    .await;
    assert_eq!(taken.status(), 409);
    assert_eq!(
        taken.json::<Value>().await.expect("problem")["code"],
        "email_taken"
    );
    for (body, field) in [
        (
            json!({ "email": "b@example.test", "password": PASSWORD, "name": "B", "phone": "12" }),
            "phone",
        ),
        (
            json!({ "email": "b@example.test", "password": "password1234", "name": "B" }),
            "password",
        ),
        (
            json!({ "email": "not an email", "password": PASSWORD, "name": "B" }),
            "email",
        ),
        (
            json!({ "email": "b@example.test", "password": PASSWORD, "name": " " }),
            "name",
        ),
    ] {
        let answer = sign_up(&platform, body).await;
        assert_eq!(answer.status(), 422, "{field}");
        let problem: Value = answer.json().await.expect("problem");
        assert_eq!(problem["field"], field, "{problem}");
    }

    let payloads: String = sqlx::query_scalar(
        "SELECT string_agg(payload::text, ' ') FROM events WHERE stream_id = $1",
    )
    .bind(format!("customer-{id}"))
    .fetch_one(&platform.stack.db.pool)
    .await
    .expect("the customer's events");
    for marker in ["marker.ada.7f3", "Marker Ada 7f3", "+41446681800"] {
        assert!(
            !payloads.contains(marker),
            "{marker} in the clear: {payloads}"
        );
    }

    let (_, other) = customer(&platform, "grace@example.test", "Grace").await;
    let path = format!("/v1/customers/{id}");
    let answer = platform
        .command_with(Method::DELETE, &path, access(&other), None)
        .await;
    assert_eq!(
        answer.status(),
        404,
        "another customer's id reveals nothing"
    );
    platform
        .register_user("clerk@example.test", ADMIN_PASSWORD)
        .await;
    let clerk = platform
        .session_of("clerk@example.test", ADMIN_PASSWORD)
        .await;
    let answer = platform
        .command_with(Method::DELETE, &path, access(&clerk), None)
        .await;
    assert_eq!(answer.status(), 403, "a user without customers:erase");
    let unknown = format!("/v1/customers/{}", uuid::Uuid::now_v7());
    let admin = platform.admin_session().await;
    let answer = platform
        .command_with(Method::DELETE, &unknown, access(&admin), None)
        .await;
    assert_eq!(answer.status(), 404, "no such customer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_ends_the_sessions_frees_the_email_and_answers_the_same_twice() {
    let platform = Platform::start().await;
    let email = "erase.me@example.test";
    let (id, session) = customer(&platform, email, "Erase Me").await;
    let path = format!("/v1/customers/{id}");
    let attempts = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM login_attempts WHERE login = $1")
            .bind(platform.logins().digest(email))
            .fetch_one(&platform.stack.db.pool)
            .await
            .expect("attempts")
    };
    assert!(attempts().await > 0, "the login's known address is kept");

    let answer = platform
        .command_with(Method::DELETE, &path, access(&session), None)
        .await;
    assert_eq!(answer.status(), 202);
    assert_eq!(attempts().await, 0, "erased with the customer");
    let erased: Value = answer.json().await.expect("json");
    platform.until_active(access(&session), false).await;
    assert_eq!(platform.login(email, PASSWORD).await.status(), 401);

    let admin = platform.admin_session().await;
    let again = platform
        .command_with(Method::DELETE, &path, access(&admin), None)
        .await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.expect("json"), erased);
    assert_eq!(platform.revocation_reasons(&id).await, ["PRINCIPAL_ERASED"]);

    customer(&platform, email, "Someone New").await;
}
