//! A customer's client details (user agent, address) are personal data: the events of its
//! sessions hold them only sealed with its data key, while the customer reads its own sessions
//! in the clear; a user's stay in the clear, for the audit.

use serde_json::{Value, json};

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Platform, access};

const PASSWORD: &str = "a long customer passphrase";
const AGENT: &str = "MarkerBrowser/9c1 (sealed)";

/// Posts `body` to `path` on command-api with the marker user agent.
async fn post_as_browser(
    platform: &Platform,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .user_agent(AGENT)
        .build()
        .expect("client");
    let request = client
        .post(format!("{}{path}", platform.command))
        .json(&body);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.expect("command-api answers")
}

/// The payloads of a stream's events, as text.
async fn payloads(platform: &Platform, stream: &str) -> Vec<(String, Value)> {
    sqlx::query_as::<_, (String, Value)>(
        "SELECT event_type, payload FROM events WHERE stream_id = $1 ORDER BY version",
    )
    .bind(stream)
    .fetch_all(&platform.stack.db.pool)
    .await
    .expect("events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_client_details_are_sealed_in_its_events_and_open_to_it() {
    let platform = Platform::start().await;
    let email = "browser.9c1@example.test";
    let signed_up = post_as_browser(
        &platform,
        "/v1/customers",
        None,
        json!({ "email": email, "password": PASSWORD, "name": "Browser" }),
    )
    .await;
    assert_eq!(signed_up.status(), 201);
    let credentials = json!({ "login": email, "password": PASSWORD });
    let login = post_as_browser(&platform, "/v1/auth/login", None, credentials).await;
    assert_eq!(login.status(), 200);
    let session: Value = login.json().await.expect("tokens");
    let id = session["principal_id"].as_str().expect("id").to_owned();
    let body = json!({ "refresh_token": session["refresh_token"] });
    let refreshed = post_as_browser(&platform, "/v1/auth/refresh", None, body).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.expect("tokens");

    let path = format!(
        "/v1/principals/{id}/sessions?min_version={}",
        refreshed["version"]
    );
    let listed: Value = platform
        .read(&path, access(&refreshed))
        .await
        .json()
        .await
        .expect("sessions");
    assert_eq!(listed[0]["user_agent"], AGENT, "{listed}");
    assert_eq!(listed[0]["ip"], "127.0.0.1", "{listed}");

    let logout = post_as_browser(
        &platform,
        "/v1/auth/logout",
        Some(access(&refreshed)),
        json!({}),
    )
    .await;
    assert_eq!(logout.status(), 204);
    let events = payloads(&platform, &format!("sessions-{id}")).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "session.started.v1",
            "session.refreshed.v1",
            "session.revoked.v1"
        ]
    );
    let (_, started) = &events[0];
    let (_, revoked) = &events[2];
    for sealed in [
        &started["user_agent"],
        &started["ip"],
        &revoked["metadata"]["user_agent"],
        &revoked["metadata"]["ip"],
    ] {
        let sealed = sealed.as_str().expect("recorded");
        assert!(sealed.starts_with("enc:v1:"), "not sealed: {sealed}");
    }
    let text = serde_json::to_string(&events).expect("text");
    assert!(
        !text.contains("MarkerBrowser") && !text.contains("127.0.0.1"),
        "{text}"
    );

    let admin = json!({ "login": ADMIN_LOGIN, "password": ADMIN_PASSWORD });
    let admin = post_as_browser(&platform, "/v1/auth/login", None, admin).await;
    let admin: Value = admin.json().await.expect("tokens");
    let stream = format!("sessions-{}", admin["principal_id"].as_str().expect("id"));
    let events = payloads(&platform, &stream).await;
    let (_, started) = events.last().expect("the admin's login");
    assert_eq!(started["user_agent"], AGENT, "a user's stays in the clear");
}
