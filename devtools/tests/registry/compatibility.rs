//! Compatibility levels enforced on registration, and the compatibility endpoints.

use reqwest::Method;
use schema_registry_converter::async_impl::schema_registry::{
    get_all_versions, is_compatible_schema,
};
use serde_json::json;

use super::support::{
    DEFAULTED_EMAIL, ID, OPTIONAL_EMAIL, REQUIRED_EMAIL, TestRegistry, avro, body, error_code, user,
};

const SUBJECT: &str = "identity.users.v1-test.User";

async fn with_level(level: &str) -> TestRegistry {
    let registry = TestRegistry::fresh().await;
    let level = json!({ "compatibility": level }).to_string();
    let (status, _) = registry.send(Method::PUT, "/config", level).await;
    assert_eq!(status, 200);
    registry
}

async fn versions(registry: &TestRegistry) -> Vec<u32> {
    get_all_versions(&registry.settings, SUBJECT.into())
        .await
        .expect("versions")
}

async fn compatible(registry: &TestRegistry, schema: &str) -> bool {
    is_compatible_schema(&registry.settings, SUBJECT.into(), avro(schema))
        .await
        .expect("compatibility answered")
}

#[tokio::test]
async fn backward_refuses_a_new_required_field_without_default() {
    let registry = TestRegistry::fresh().await;
    registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    let candidate = user(&[ID, REQUIRED_EMAIL]);
    assert!(!compatible(&registry, &candidate).await);
    let refused = registry
        .register(SUBJECT, &candidate)
        .await
        .expect_err("refused");
    assert_eq!(error_code(&refused), Some(409), "{refused}");
    assert_eq!(versions(&registry).await, vec![1]);
    registry.discard().await;
}

#[tokio::test]
async fn backward_accepts_an_optional_field_with_a_null_default_as_version_2() {
    let registry = TestRegistry::fresh().await;
    registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    let candidate = user(&[ID, OPTIONAL_EMAIL]);
    assert!(compatible(&registry, &candidate).await);
    registry.register(SUBJECT, &candidate).await.expect("v2");
    assert_eq!(versions(&registry).await, vec![1, 2]);
    registry.discard().await;
}

#[tokio::test]
async fn forward_accepts_a_new_required_field_but_refuses_dropping_one_old_readers_need() {
    let registry = with_level("FORWARD").await;
    registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    registry
        .register(SUBJECT, &user(&[ID, REQUIRED_EMAIL]))
        .await
        .expect("old readers ignore the new field");
    let refused = registry.register(SUBJECT, &user(&[REQUIRED_EMAIL])).await;
    assert_eq!(refused.err().as_ref().and_then(error_code), Some(409));
    assert_eq!(versions(&registry).await, vec![1, 2]);
    registry.discard().await;
}

#[tokio::test]
async fn full_refuses_a_change_that_is_only_forward_compatible() {
    let registry = with_level("FULL").await;
    registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    assert!(!compatible(&registry, &user(&[ID, REQUIRED_EMAIL])).await);
    let refused = registry
        .register(SUBJECT, &user(&[ID, REQUIRED_EMAIL]))
        .await;
    assert_eq!(refused.err().as_ref().and_then(error_code), Some(409));
    registry
        .register(SUBJECT, &user(&[ID, OPTIONAL_EMAIL]))
        .await
        .expect("an optional field with a default works both ways");
    assert_eq!(versions(&registry).await, vec![1, 2]);
    registry.discard().await;
}

#[tokio::test]
async fn transitive_levels_check_every_earlier_version_not_just_the_latest() {
    // v3 can read v2's data (which always carries `email`) but not v1's (which never does).
    for (level, accepted) in [("BACKWARD", true), ("BACKWARD_TRANSITIVE", false)] {
        let registry = with_level(level).await;
        registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
        let v2 = user(&[ID, DEFAULTED_EMAIL]);
        registry.register(SUBJECT, &v2).await.expect("v2");
        let v3 = user(&[ID, REQUIRED_EMAIL]);
        assert_eq!(compatible(&registry, &v3).await, accepted, "{level}");
        let registered = registry.register(SUBJECT, &v3).await;
        assert_eq!(registered.is_ok(), accepted, "{level}: {registered:?}");
        registry.discard().await;
    }
}

#[tokio::test]
async fn the_compatibility_endpoint_explains_refusals_and_checks_a_named_version() {
    let registry = TestRegistry::fresh().await;
    registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    let candidate = body(&user(&[ID, REQUIRED_EMAIL]));
    let base = format!("/compatibility/subjects/{SUBJECT}/versions");
    for path in [base.clone(), format!("{base}/1"), format!("{base}/latest")] {
        let (status, verdict) = registry.send(Method::POST, &path, candidate.clone()).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(verdict["is_compatible"], json!(false), "{path}");
        let messages = verdict["messages"].as_array().expect("messages");
        assert!(
            messages
                .iter()
                .any(|m| m.as_str().is_some_and(|m| m.contains("version 1"))),
            "{path}: {verdict}"
        );
    }
    let (status, error) = registry
        .send(Method::POST, &format!("{base}/7"), candidate)
        .await;
    assert_eq!((status, error["error_code"].as_u64()), (404, Some(40402)));
    registry.discard().await;
}

#[tokio::test]
async fn a_subject_without_versions_is_compatible_with_anything() {
    let registry = with_level("FULL_TRANSITIVE").await;
    assert!(compatible(&registry, &user(&[REQUIRED_EMAIL])).await);
    let latest = format!("/compatibility/subjects/{SUBJECT}/versions/latest");
    let (status, verdict) = registry
        .send(Method::POST, &latest, body(&user(&[ID])))
        .await;
    assert_eq!((status, verdict), (200, json!({ "is_compatible": true })));
    registry.discard().await;
}
