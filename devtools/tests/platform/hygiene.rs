//! What every server owes its operators and its callers: metrics, traces carried end to end,
//! no secret where it does not belong, clear answers to bad input, ops endpoints.

use devtools::testing::{eventually, read_topic, redis_contents};
use events::topics::Category;
use serde_json::{Value, json};

use crate::support::{ADMIN_LOGIN, ADMIN_PASSWORD, Platform, TIMEOUT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_the_requests_just_made() {
    let platform = Platform::start().await;
    platform.admin_session().await;
    platform.login(ADMIN_LOGIN, "wrong").await;
    let metrics = platform.metrics(&platform.command).await;
    for status in ["200", "401"] {
        let line = format!(
            r#"identity_http_requests_total{{method="POST",route="/v1/auth/login",status="{status}"}} 1"#
        );
        assert!(metrics.contains(&line), "missing {line} in\n{metrics}");
    }
    assert!(metrics.contains("identity_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("identity_relay_events_total"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_traceparent_reaches_the_stored_event_and_the_kafka_record() {
    let platform = Platform::start().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = platform
        .http
        .post(format!("{}/v1/auth/login", platform.command))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&json!({ "login": ADMIN_LOGIN, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.expect("token response");
    let principal = session["principal_id"].as_str().expect("principal");

    let (event_id, stored): (uuid::Uuid, Value) = sqlx::query_as(
        "SELECT event_id, metadata FROM events WHERE stream_id = $1 AND event_type = 'session.started.v1'",
    )
    .bind(format!("sessions-{principal}"))
    .fetch_one(&platform.stack.db.pool)
    .await
    .expect("the session started event");
    let traceparent = stored["traceparent"].as_str().expect("stored traceparent");
    assert_eq!(
        traceparent.split('-').nth(1),
        Some(trace_id),
        "{traceparent}"
    );

    let id = event_id.to_string();
    let records = read_topic(
        &platform.stack.kafka.brokers,
        &platform.stack.kafka.topics().events(Category::Sessions),
        TIMEOUT,
        move |records| {
            records
                .iter()
                .any(|r| r.header("event_id") == Some(id.as_str()))
        },
    )
    .await;
    let record = records
        .iter()
        .find(|r| r.header("event_id") == Some(event_id.to_string().as_str()))
        .expect("the record");
    assert_eq!(record.header("traceparent"), Some(traceparent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_hash_ever_reaches_kafka_or_redis() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    platform
        .until_active(session["access_token"].as_str().expect("token"), true)
        .await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM credentials WHERE login = $1")
        .bind(platform.logins().digest(ADMIN_LOGIN))
        .fetch_one(&platform.stack.db.pool)
        .await
        .expect("the admin's hash");
    assert!(hash.starts_with("$argon2id$"));
    let leaks = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        text.contains(&hash) || text.contains("$argon2")
    };

    let topics = platform.stack.kafka.topics();
    // bootstrap: role created (1), user registered and role assigned (2); the login (1)
    for (category, expected) in [
        (Category::Roles, 1),
        (Category::Users, 2),
        (Category::Sessions, 1),
    ] {
        let records = read_topic(
            &platform.stack.kafka.brokers,
            &topics.events(category),
            TIMEOUT,
            move |r| r.len() >= expected,
        )
        .await;
        for record in records {
            assert!(!leaks(record.payload.as_deref().unwrap_or_default()));
            assert!(record.headers.values().all(|v| !leaks(v.as_bytes())));
        }
    }

    let mut redis = platform.redis().await;
    let contents = redis_contents(&mut redis, &platform.stack.redis.key_prefix).await;
    assert!(!contents.is_empty(), "the session is cached");
    for (key, value) in contents {
        assert!(!leaks(format!("{value:?}").as_bytes()), "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_problem_and_writes_nothing() {
    let platform = Platform::start().await;
    let introspector = platform.introspector().await;
    let before = platform.event_count().await;
    let login = format!("{}/v1/auth/login", platform.command);
    let oversized = json!({ "login": "x".repeat(100_000), "password": "p" }).to_string();
    let cases: [(&str, Option<&str>, String, u16, &str); 6] = [
        (
            "malformed JSON",
            Some("application/json"),
            r#"{"login": "#.into(),
            400,
            "malformed_json",
        ),
        (
            "missing field",
            Some("application/json"),
            json!({ "login": ADMIN_LOGIN }).to_string(),
            422,
            "invalid_body",
        ),
        (
            "wrong type",
            Some("application/json"),
            json!({ "login": 7, "password": [] }).to_string(),
            422,
            "invalid_body",
        ),
        (
            "oversized body",
            Some("application/json"),
            oversized,
            413,
            "payload_too_large",
        ),
        (
            "wrong content type",
            Some("text/plain"),
            json!({ "login": "a", "password": "b" }).to_string(),
            415,
            "unsupported_media_type",
        ),
        (
            "empty login",
            Some("application/json"),
            json!({ "login": "", "password": "b" }).to_string(),
            422,
            "invalid_request",
        ),
    ];
    for (what, content_type, body, status, code) in cases {
        let mut request = platform.http.post(&login).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.expect("answer");
        assert_eq!(response.status(), status, "{what}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
        let problem: Value = response.json().await.expect("problem json");
        assert_eq!(problem["code"], code, "{what}: {problem}");
        assert_eq!(problem["status"], status, "{what}");
    }

    let introspect = platform
        .http
        .post(format!("{}/v1/tokens/introspect", platform.query))
        .bearer_auth(&introspector)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(introspect.status(), 400);
    assert_eq!(
        introspect.headers()["content-type"],
        "application/problem+json"
    );

    let unknown = platform
        .http
        .get(format!("{}/v1/nothing-here", platform.command))
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.headers()["content-type"],
        "application/problem+json"
    );

    assert_eq!(platform.event_count().await, before, "no event was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_answers_health_readiness_metrics_and_openapi() {
    let platform = Platform::start().await;
    for (server, url, path) in [
        ("command-api", &platform.command, Some("/v1/auth/login")),
        ("query-api", &platform.query, Some("/v1/tokens/introspect")),
        ("projectors", &platform.projectors, None),
    ] {
        let get = |p: &str| platform.http.get(format!("{url}{p}")).send();
        assert_eq!(
            get("/healthz").await.expect("healthz").status(),
            200,
            "{server}"
        );
        eventually(TIMEOUT, &format!("{server} ready"), || async {
            (get("/readyz").await.ok()?.status() == 200).then_some(())
        })
        .await;
        let metrics = get("/metrics").await.expect("metrics");
        assert_eq!(metrics.status(), 200, "{server}");
        let openapi: Value = get("/openapi.json")
            .await
            .expect("openapi")
            .json()
            .await
            .expect("openapi json");
        assert!(
            openapi["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.")),
            "{server}"
        );
        if let Some(path) = path {
            assert!(
                openapi["paths"].get(path).is_some(),
                "{server} documents {path}"
            );
        }
    }
}
