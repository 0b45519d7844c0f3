//! The export (GDPR Art. 15 and 20): everything held about a customer, opened, for itself or a
//! holder of `customers:export`; another customer gets 404, a user without the permission 403,
//! and once the customer is erased everyone gets 404.

use reqwest::Method;
use serde_json::{Value, json};

use crate::customers::{PASSWORD, send_from};
use crate::support::{ADMIN_PASSWORD, Platform, access};

const AGENT: &str = "ExportBrowser/4e2";

/// Sends `body` to `path` on command-api as `token`, from the marker user agent.
async fn send(
    platform: &Platform,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    send_from(platform, AGENT, method, path, token, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_holds_the_whole_account_and_history_opened() {
    let platform = Platform::start().await;
    let email = "export.4e2@example.test";
    let sign_up = json!({ "email": email, "password": PASSWORD, "name": "Exporta Name", "phone": "+41 44 123 45 67" });
    let id = send(&platform, Method::POST, "/v1/customers", None, sign_up).await["customer_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let login = json!({ "login": email, "password": PASSWORD });
    let session = send(
        &platform,
        Method::POST,
        "/v1/auth/login",
        None,
        login.clone(),
    )
    .await;
    let token = access(&session).to_owned();
    let me = format!("/v1/customers/{id}");
    let place = json!({ "line1": "Export Lane 4e2", "city": "Basel", "postal_code": "4001", "country": "CH", "default_billing": true });
    send(
        &platform,
        Method::POST,
        &format!("{me}/addresses"),
        Some(&token),
        place,
    )
    .await;
    let preferences = format!("{me}/preferences");
    send(
        &platform,
        Method::PUT,
        &preferences,
        Some(&token),
        json!({ "marketing_email": true, "locale": "fr-CH" }),
    )
    .await;
    send(
        &platform,
        Method::PUT,
        &preferences,
        Some(&token),
        json!({ "marketing_email": false }),
    )
    .await;
    let admin = platform.admin_session().await;
    let admin = access(&admin).to_owned();
    send(
        &platform,
        Method::POST,
        &format!("{me}/segments"),
        Some(&admin),
        json!({ "segment": "vip" }),
    )
    .await;
    let second = send(&platform, Method::POST, "/v1/auth/login", None, login).await;
    send(
        &platform,
        Method::POST,
        "/v1/auth/logout",
        Some(access(&second)),
        json!({}),
    )
    .await;

    let path = format!("{me}/export");
    let answer = platform.read(&path, &token).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/json");
    let text = answer.text().await.expect("body");
    assert!(!text.contains("enc:v1:"), "something left sealed: {text}");
    let export: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(export["customer_id"], id.as_str());
    assert_eq!(export["profile"]["email"], email);
    assert_eq!(export["profile"]["name"], "Exporta Name");
    assert_eq!(export["profile"]["phone"], "+41441234567");
    assert_eq!(
        export["addresses"][0]["address"]["line1"],
        "Export Lane 4e2"
    );
    assert_eq!(export["addresses"][0]["default_billing"], true);
    assert_eq!(
        export["preferences"],
        json!({ "marketing_consents": { "email": false }, "locale": "fr-CH" })
    );
    let history: Vec<bool> = export["consent_history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|c| c["granted"].as_bool().expect("granted"))
        .collect();
    assert_eq!(history, [true, false]);
    assert_eq!(export["segments"], json!(["vip"]));
    let sessions = export["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2);
    assert!(
        sessions
            .iter()
            .all(|s| s["user_agent"] == AGENT && s["ip"] == "127.0.0.1")
    );
    assert!(
        sessions
            .iter()
            .all(|s| s.get("refresh_token_hash").is_none())
    );
    assert_eq!(export["revocations"][0]["reason"], "USER_LOGOUT");
    assert_eq!(export["revocations"][0]["metadata"]["user_agent"], AGENT);
    let events = export["events"].as_array().expect("events");
    let versions: Vec<i64> = events
        .iter()
        .map(|e| e["version"].as_i64().expect("version"))
        .collect();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    assert_eq!(events[0]["event_type"], "customer.signed_up.v1");
    assert_eq!(events[0]["payload"]["email"], email);
    assert_eq!(
        export["session_events"]
            .as_array()
            .expect("session events")
            .len(),
        3
    );

    assert_eq!(
        platform.read(&path, &admin).await.status(),
        200,
        "customers:export"
    );
    let (_, other) = crate::customers::customer(&platform, "other.4e2@example.test", "Other").await;
    assert_eq!(platform.read(&path, access(&other)).await.status(), 404);
    platform
        .register_user("clerk.4e2@example.test", ADMIN_PASSWORD)
        .await;
    let clerk = platform
        .session_of("clerk.4e2@example.test", ADMIN_PASSWORD)
        .await;
    assert_eq!(platform.read(&path, access(&clerk)).await.status(), 403);

    let erased = platform
        .command_with(Method::DELETE, &me, &admin, None)
        .await;
    assert_eq!(erased.status(), 202);
    assert_eq!(platform.read(&path, &admin).await.status(), 404, "erased");
}
