//! Compatibility levels, registry-wide and per subject.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{ID, REQUIRED_EMAIL, TestRegistry, user};

const SUBJECT: &str = "identity.roles.v1-test.User";

fn level(name: &str) -> String {
    json!({ "compatibility": name }).to_string()
}

fn answer(level: &str) -> Value {
    json!({ "compatibilityLevel": level })
}

#[tokio::test]
async fn the_global_level_defaults_to_backward_and_can_be_changed() {
    let registry = TestRegistry::fresh().await;
    assert_eq!(registry.get("/config").await, (200, answer("BACKWARD")));
    let put = registry.send(Method::PUT, "/config", level("FULL")).await;
    assert_eq!(put, (200, json!({ "compatibility": "FULL" })));
    assert_eq!(registry.get("/config").await, (200, answer("FULL")));
    registry.discard().await;
}

#[tokio::test]
async fn a_subject_without_its_own_level_answers_40408_unless_asked_to_default_to_global() {
    let registry = TestRegistry::fresh().await;
    let (status, error) = registry.get(&format!("/config/{SUBJECT}")).await;
    assert_eq!((status, error["error_code"].as_u64()), (404, Some(40408)));
    let fallback = registry
        .get(&format!("/config/{SUBJECT}?defaultToGlobal=true"))
        .await;
    assert_eq!(fallback, (200, answer("BACKWARD")));
    registry.discard().await;
}

#[tokio::test]
async fn a_subject_level_overrides_the_global_level_until_it_is_deleted() {
    let registry = TestRegistry::fresh().await;
    let path = format!("/config/{SUBJECT}");
    let put = registry.send(Method::PUT, &path, level("NONE")).await;
    assert_eq!(put, (200, json!({ "compatibility": "NONE" })));
    assert_eq!(registry.get(&path).await, (200, answer("NONE")));

    registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    registry
        .register(SUBJECT, &user(&[REQUIRED_EMAIL]))
        .await
        .expect("NONE lets anything through");

    let deleted = registry.call(Method::DELETE, &path, None, None).await;
    assert_eq!(deleted, (200, answer("NONE")));
    let (status, error) = registry.get(&path).await;
    assert_eq!((status, error["error_code"].as_u64()), (404, Some(40408)));
    let refused = registry
        .register(SUBJECT, &user(&[ID, REQUIRED_EMAIL]))
        .await;
    assert!(refused.is_err(), "BACKWARD applies again");
    registry.discard().await;
}

#[tokio::test]
async fn an_unknown_level_is_refused_with_42203_and_changes_nothing() {
    let registry = TestRegistry::fresh().await;
    for path in ["/config".to_owned(), format!("/config/{SUBJECT}")] {
        for body in [level("SIDEWAYS"), json!({}).to_string()] {
            let (status, error) = registry.send(Method::PUT, &path, body).await;
            assert_eq!(
                (status, error["error_code"].as_u64()),
                (422, Some(42203)),
                "{path}"
            );
        }
    }
    assert_eq!(registry.get("/config").await, (200, answer("BACKWARD")));
    let (status, _) = registry.get(&format!("/config/{SUBJECT}")).await;
    assert_eq!(status, 404);
    registry.discard().await;
}
