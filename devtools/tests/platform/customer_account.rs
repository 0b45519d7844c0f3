//! A customer keeps its own account over HTTP: profile, address book, preferences with their
//! consent history; segments are for holders of `customers:segment`. Every field breaks with a
//! 422 naming it and changes nothing; personal values reach the events only sealed; another
//! customer's id answers 404 on every route and changes nothing (the IDOR matrix); one email
//! signs up once, however many sign-ups race for it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::customers::{PASSWORD, customer, sign_up};
use crate::support::{Platform, access};

/// Sends `body` (if any) to `path` on command-api as `token`: the status and the JSON answer.
async fn send(
    platform: &Platform,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let answer = platform.command_with(method, path, token, body).await;
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The customer's events: (type, payload).
async fn events(platform: &Platform, id: &str) -> Vec<(String, Value)> {
    sqlx::query_as("SELECT event_type, payload FROM events WHERE stream_id = $1 ORDER BY version")
        .bind(format!("customer-{id}"))
        .fetch_all(&platform.stack.db.pool)
        .await
        .expect("events")
}

fn address(line1: &str) -> Value {
    json!({ "line1": line1, "city": "Zürich", "postal_code": "8001", "country": "ch" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_keeps_its_profile_addresses_and_preferences() {
    let platform = Platform::start().await;
    let (id, session) = customer(&platform, "keeper@example.test", "Keeper").await;
    let token = access(&session);
    let me = format!("/v1/customers/{id}");

    let patch = json!({ "name": "Kee Per", "phone": null, "birth_date": "1990-02-03" });
    let (status, changed) = send(&platform, Method::PATCH, &me, token, Some(patch)).await;
    assert_eq!(status, 200, "{changed}");
    for (body, field) in [
        (json!({ "phone": "0044 12" }), "phone"),
        (json!({ "birth_date": "2999-01-01" }), "birth_date"),
        (json!({ "name": "" }), "name"),
    ] {
        let (status, problem) = send(&platform, Method::PATCH, &me, token, Some(body)).await;
        assert_eq!(
            (status, &problem["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field))
        );
    }
    let (status, _) = send(&platform, Method::PATCH, &me, token, Some(json!({}))).await;
    assert_eq!(status, 422, "a patch that names nothing");

    let book = format!("{me}/addresses");
    let mut home = address("Marker Street 9c1");
    home["default_shipping"] = json!(true);
    let (status, added) = send(&platform, Method::POST, &book, token, Some(home)).await;
    assert_eq!(status, 201, "{added}");
    let home_id = added["address_id"].as_str().expect("address id").to_owned();
    let mut bad = address("Somewhere 1");
    bad["country"] = json!("XX");
    let (status, problem) = send(&platform, Method::POST, &book, token, Some(bad)).await;
    assert_eq!(
        (status.as_u16(), problem["field"].as_str()),
        (422, Some("country"))
    );
    let home_path = format!("{book}/{home_id}");
    let moved = Some(address("Marker Avenue 9c1"));
    let (status, _) = send(&platform, Method::PUT, &home_path, token, moved.clone()).await;
    assert_eq!(status, 200);
    let nowhere = format!("{book}/{}", uuid::Uuid::now_v7());
    let (status, _) = send(&platform, Method::PUT, &nowhere, token, moved).await;
    assert_eq!(status, 404, "an address the customer does not have");
    for n in 1..20 {
        let (status, _) = send(
            &platform,
            Method::POST,
            &book,
            token,
            Some(address(&format!("Lane {n}"))),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, full) = send(
        &platform,
        Method::POST,
        &book,
        token,
        Some(address("Lane 21")),
    )
    .await;
    assert_eq!(
        (status.as_u16(), full["code"].as_str()),
        (409, Some("too_many_addresses"))
    );
    let (status, _) = send(&platform, Method::DELETE, &home_path, token, None).await;
    assert_eq!(status, 200);
    let (status, _) = send(&platform, Method::DELETE, &home_path, token, None).await;
    assert_eq!(status, 404, "removed already");

    let preferences = format!("{me}/preferences");
    let consent = json!({ "marketing_email": true, "marketing_sms": false, "locale": "de-CH" });
    let (status, first) = send(
        &platform,
        Method::PUT,
        &preferences,
        token,
        Some(consent.clone()),
    )
    .await;
    assert_eq!(status, 200);
    let (_, again) = send(&platform, Method::PUT, &preferences, token, Some(consent)).await;
    assert_eq!(
        again["version"], first["version"],
        "setting the same preferences changes nothing"
    );
    let withdrawn = json!({ "marketing_email": false });
    let (status, _) = send(&platform, Method::PUT, &preferences, token, Some(withdrawn)).await;
    assert_eq!(status, 200);
    let (status, problem) = send(
        &platform,
        Method::PUT,
        &preferences,
        token,
        Some(json!({ "locale": "x" })),
    )
    .await;
    assert_eq!(
        (status.as_u16(), problem["field"].as_str()),
        (422, Some("locale"))
    );

    let segments = format!("{me}/segments");
    let vip = Some(json!({ "segment": "vip" }));
    let (status, _) = send(&platform, Method::POST, &segments, token, vip.clone()).await;
    assert_eq!(status, 403, "a customer does not segment itself");
    let admin = platform.admin_session().await;
    let admin = access(&admin);
    let (status, _) = send(&platform, Method::POST, &segments, admin, vip).await;
    assert_eq!(status, 200);
    let bad = Some(json!({ "segment": "Not A Segment" }));
    let (status, problem) = send(&platform, Method::POST, &segments, admin, bad).await;
    assert_eq!(
        (status.as_u16(), problem["field"].as_str()),
        (422, Some("segment"))
    );
    let (status, _) = send(
        &platform,
        Method::DELETE,
        &format!("{segments}/vip"),
        admin,
        None,
    )
    .await;
    assert_eq!(status, 200);

    let recorded = events(&platform, &id).await;
    let consents: Vec<(bool, &str)> = recorded
        .iter()
        .filter(|(t, _)| t == "customer.consent_changed.v1")
        .map(|(_, e)| {
            (
                e["granted"].as_bool().expect("granted"),
                e["channel"].as_str().expect("channel"),
            )
        })
        .collect();
    assert_eq!(
        consents,
        [(true, "email"), (false, "email")],
        "the consent history"
    );
    let text = serde_json::to_string(&recorded).expect("text");
    for marker in ["Marker", "Kee Per", "1990-02-03"] {
        assert!(!text.contains(marker), "{marker} in the clear: {text}");
    }
    let types: Vec<&str> = recorded.iter().map(|(t, _)| t.as_str()).collect();
    assert!(types.contains(&"customer.segment_removed.v1"), "{types:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_id_answers_404_on_every_route_and_changes_nothing() {
    let platform = Platform::start().await;
    let (victim, victim_session) = customer(&platform, "victim@example.test", "Victim").await;
    let (_, intruder) = customer(&platform, "intruder@example.test", "Intruder").await;
    let me = format!("/v1/customers/{victim}");
    let (_, added) = send(
        &platform,
        Method::POST,
        &format!("{me}/addresses"),
        access(&victim_session),
        Some(address("Private Road 1")),
    )
    .await;
    let address_id = added["address_id"].as_str().expect("address id");
    let before = events(&platform, &victim).await.len();

    let routes = [
        (Method::PATCH, me.clone(), Some(json!({ "name": "Owned" }))),
        (
            Method::POST,
            format!("{me}/email"),
            Some(json!({ "email": "owned@example.test", "current_password": PASSWORD })),
        ),
        (
            Method::POST,
            format!("{me}/password"),
            Some(json!({ "current_password": PASSWORD, "new_password": "an owned passphrase" })),
        ),
        (
            Method::POST,
            format!("{me}/addresses"),
            Some(address("Drop 1")),
        ),
        (
            Method::PUT,
            format!("{me}/addresses/{address_id}"),
            Some(address("Drop 2")),
        ),
        (Method::DELETE, format!("{me}/addresses/{address_id}"), None),
        (
            Method::PUT,
            format!("{me}/preferences"),
            Some(json!({ "marketing_sms": true })),
        ),
        (
            Method::POST,
            format!("{me}/segments"),
            Some(json!({ "segment": "vip" })),
        ),
        (Method::DELETE, format!("{me}/segments/vip"), None),
        (Method::DELETE, me.clone(), None),
    ];
    for (method, path, body) in routes {
        let (status, problem) =
            send(&platform, method.clone(), &path, access(&intruder), body).await;
        assert_eq!(status, 404, "{method} {path}: {problem}");
    }
    assert_eq!(
        events(&platform, &victim).await.len(),
        before,
        "nothing changed"
    );
    let login = platform.login("victim@example.test", PASSWORD).await;
    assert_eq!(login.status(), 200, "the victim is still there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sign_ups_with_one_email_give_one_account() {
    let platform = Platform::start().await;
    let body =
        |name: &str| json!({ "email": "Race@Example.test", "password": PASSWORD, "name": name });
    let (first, second) = tokio::join!(
        sign_up(&platform, body("First")),
        sign_up(&platform, body("Second")),
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let accounts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'customer.signed_up.v1'",
    )
    .fetch_one(&platform.stack.db.pool)
    .await
    .expect("count");
    assert_eq!(accounts, 1);
}
