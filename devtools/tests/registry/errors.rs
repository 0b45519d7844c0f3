//! Bad input is answered with Confluent's error codes, in Confluent's error shape, and changes
//! nothing.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{ID, TestRegistry, body, user};

const SUBJECT: &str = "identity.customers.v1-test.User";

fn code(answer: &(u16, Value)) -> (u16, Option<u64>) {
    (answer.0, answer.1["error_code"].as_u64())
}

/// The registry still holds nothing: no subjects, no schema with id 1.
async fn assert_empty(registry: &TestRegistry) {
    assert_eq!(registry.get("/subjects").await, (200, json!([])));
    assert_eq!(
        code(&registry.get("/schemas/ids/1").await),
        (404, Some(40403))
    );
}

#[tokio::test]
async fn a_malformed_json_body_is_refused_with_42201_and_registers_nothing() {
    let registry = TestRegistry::fresh().await;
    let path = format!("/subjects/{SUBJECT}/versions");
    for bad in ["{", "", "[1, 2]", r#"{"schema": 42}"#] {
        let answer = registry.send(Method::POST, &path, bad.to_owned()).await;
        assert_eq!(code(&answer), (422, Some(42201)), "{bad:?}: {}", answer.1);
        let message = answer.1["message"].as_str().unwrap_or_default();
        assert!(message.contains("request body"), "{message}");
    }
    assert_empty(&registry).await;
    registry.discard().await;
}

#[tokio::test]
async fn an_invalid_avro_schema_is_refused_with_42201_and_registers_nothing() {
    let registry = TestRegistry::fresh().await;
    let path = format!("/subjects/{SUBJECT}/versions");
    let invalid = [
        r#"{"type":"record","name":"User"}"#,
        r#"{"type":"nonsense"}"#,
        "not json at all",
        "",
    ];
    for schema in invalid {
        let answer = registry.send(Method::POST, &path, body(schema)).await;
        assert_eq!(
            code(&answer),
            (422, Some(42201)),
            "{schema:?}: {}",
            answer.1
        );
    }
    assert_empty(&registry).await;
    registry.discard().await;
}

#[tokio::test]
async fn other_schema_types_and_references_are_refused_with_a_clear_message() {
    let registry = TestRegistry::fresh().await;
    let path = format!("/subjects/{SUBJECT}/versions");
    let protobuf = json!({ "schema": "syntax = \"proto3\";", "schemaType": "PROTOBUF" });
    let answer = registry
        .send(Method::POST, &path, protobuf.to_string())
        .await;
    assert_eq!(code(&answer), (422, Some(42201)));
    assert!(
        answer.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("AVRO"))
    );

    let reference = json!({ "name": "test.Id", "subject": "ids", "version": 1 });
    let referencing = json!({ "schema": user(&[ID]), "references": [reference] });
    let answer = registry
        .send(Method::POST, &path, referencing.to_string())
        .await;
    assert_eq!(code(&answer), (422, Some(42201)));
    assert!(
        answer.1["message"]
            .as_str()
            .is_some_and(|m| m.contains("references"))
    );
    assert_empty(&registry).await;
    registry.discard().await;
}

#[tokio::test]
async fn unknown_subjects_versions_and_ids_answer_confluent_error_codes() {
    let registry = TestRegistry::fresh().await;
    assert_eq!(
        code(&registry.get("/subjects/nope/versions").await),
        (404, Some(40401))
    );
    assert_eq!(
        code(&registry.get("/subjects/nope/versions/1").await),
        (404, Some(40401))
    );
    assert_eq!(
        code(&registry.get("/schemas/ids/99").await),
        (404, Some(40403))
    );
    assert_eq!(
        code(&registry.get("/schemas/ids/x").await),
        (404, Some(40403))
    );

    registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    let unknown_version = registry
        .get(&format!("/subjects/{SUBJECT}/versions/2"))
        .await;
    assert_eq!(code(&unknown_version), (404, Some(40402)));
    let invalid_version = registry
        .get(&format!("/subjects/{SUBJECT}/versions/zero"))
        .await;
    assert_eq!(code(&invalid_version), (422, Some(42202)));
    assert_eq!(
        code(&registry.get("/no/such/endpoint").await),
        (404, Some(404))
    );
    registry.discard().await;
}

#[tokio::test]
async fn lookup_tells_an_unknown_subject_from_an_unknown_schema() {
    let registry = TestRegistry::fresh().await;
    let path = format!("/subjects/{SUBJECT}?deleted=false");
    let unknown_subject = registry.send(Method::POST, &path, body(&user(&[ID]))).await;
    assert_eq!(code(&unknown_subject), (404, Some(40401)));

    let id = registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    let other = user(&[r#"{"name":"other","type":"int"}"#]);
    let unknown_schema = registry.send(Method::POST, &path, body(&other)).await;
    assert_eq!(code(&unknown_schema), (404, Some(40403)));
    let found = registry.send(Method::POST, &path, body(&user(&[ID]))).await;
    let expected = json!({ "subject": SUBJECT, "version": 1, "id": id, "schema": user(&[ID]) });
    assert_eq!(found, (200, expected));
    registry.discard().await;
}
