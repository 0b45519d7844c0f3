//! Every answer is one the server's OpenAPI document names, as problem+json when it is an error:
//! what schemathesis (devtools/checks/api-fuzz) found, pinned here on the real stack.

use serde_json::Value;

use crate::support::{Platform, access};

async fn assert_problem(response: reqwest::Response, status: u16, code: &str, what: &str) {
    assert_eq!(response.status(), status, "{what}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let problem: Value = response.json().await.expect("problem json");
    assert_eq!(problem["code"], code, "{what}: {problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_paths_and_query_strings_get_a_problem_on_every_server() {
    let platform = Platform::start().await;
    let session = platform.admin_session().await;
    let token = access(&session);
    let introspector = platform.introspector().await;
    let before = platform.event_count().await;
    let body = serde_json::json!({ "reason": "ADMIN_ACTION" });
    for path in [
        "/v1/sessions/null%2Cnull/revoke",
        "/v1/principals/not-a-uuid/sessions/revoke-all",
    ] {
        let response = platform.command(path, token, body.clone()).await;
        assert_problem(response, 400, "invalid_path", path).await;
    }
    let response = platform.read("/v1/principals/42/sessions", token).await;
    assert_problem(response, 400, "invalid_path", "sessions list").await;
    let response = platform
        .read("/v1/audit/revocations?limit=many", token)
        .await;
    assert_problem(response, 400, "invalid_query", "revocations").await;
    let response = platform
        .read(
            &format!(
                "/v1/principals/{}/sessions?min_version=-1",
                session["principal_id"].as_str().expect("principal")
            ),
            token,
        )
        .await;
    assert_problem(response, 400, "invalid_query", "negative min_version").await;
    for query in ["min_version=soon", "min_version=-1"] {
        let response = platform
            .http
            .post(format!("{}/v1/tokens/introspect?{query}", platform.query))
            .bearer_auth(&introspector)
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .expect("answer");
        assert_problem(response, 400, "invalid_query", query).await;
    }
    assert_eq!(platform.event_count().await, before, "no event was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_operation_documents_the_stacks_problem_answers() {
    let platform = Platform::start().await;
    for (url, path, statuses) in [
        (
            &platform.command,
            "/v1/sessions/{session_id}/revoke",
            &["400", "401", "413", "415", "422", "503"][..],
        ),
        (
            &platform.query,
            "/v1/principals/{principal_id}/sessions",
            &["400", "401", "503"][..],
        ),
    ] {
        let openapi: Value = platform
            .http
            .get(format!("{url}/openapi.json"))
            .send()
            .await
            .expect("openapi")
            .json()
            .await
            .expect("openapi json");
        let operation = openapi["paths"][path]
            .as_object()
            .and_then(|item| item.values().next())
            .expect("one operation");
        for status in statuses {
            let schema = &operation["responses"][status]["content"]["application/problem+json"]["schema"]
                ["$ref"];
            assert_eq!(schema, "#/components/schemas/Problem", "{path} {status}");
        }
        assert!(openapi["components"]["schemas"]["Problem"]["properties"]["code"].is_object());
    }
}
