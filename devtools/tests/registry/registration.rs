//! Registering schemas and reading them back: ids, versions, subjects, restarts.

use reqwest::Method;
use schema_registry_converter::async_impl::schema_registry::{
    get_all_subjects, get_all_versions, get_schema_by_id, get_schema_by_subject,
    get_schema_by_subject_and_version, perform_sr_call, post_schema,
};
use schema_registry_converter::schema_registry_common::{SrCall, SubjectNameStrategy};
use serde_json::json;
use tokio::task::JoinSet;

use super::support::{ID, OPTIONAL_EMAIL, TestRegistry, avro, body, user};

const SUBJECT: &str = "identity.sessions.v1-test.User";

#[tokio::test]
async fn registering_a_schema_again_returns_its_existing_id() {
    let registry = TestRegistry::fresh().await;
    let first = registry
        .register(SUBJECT, &user(&[ID]))
        .await
        .expect("registered");
    let again = registry
        .register(SUBJECT, &user(&[ID]))
        .await
        .expect("re-registered");
    assert_eq!(again, first);
    let versions = get_all_versions(&registry.settings, SUBJECT.into()).await;
    assert_eq!(versions.expect("versions"), vec![1]);
    registry.discard().await;
}

#[tokio::test]
async fn the_same_schema_under_another_subject_gets_the_same_global_id() {
    let registry = TestRegistry::fresh().await;
    let id = registry
        .register(SUBJECT, &user(&[ID]))
        .await
        .expect("registered");
    // Whitespace does not make a schema different.
    let spaced = user(&[ID]).replace(',', ", ");
    let other = registry.register("other-test.User", &spaced).await;
    assert_eq!(other.expect("registered under the second subject"), id);
    let subjects = get_all_subjects(&registry.settings)
        .await
        .expect("subjects");
    assert_eq!(
        subjects,
        vec!["identity.sessions.v1-test.User", "other-test.User"]
    );
    registry.discard().await;
}

#[tokio::test]
async fn registered_schemas_are_found_by_id_version_latest_and_lookup() {
    let registry = TestRegistry::fresh().await;
    let v1 = registry.register(SUBJECT, &user(&[ID])).await.expect("v1");
    let v2 = registry
        .register(SUBJECT, &user(&[ID, OPTIONAL_EMAIL]))
        .await
        .expect("v2");
    assert_ne!(v1, v2);

    let by_id = get_schema_by_id(v1, &registry.settings)
        .await
        .expect("by id");
    assert_eq!(by_id.schema, user(&[ID]));
    let latest = get_schema_by_subject(
        &registry.settings,
        &SubjectNameStrategy::RecordNameStrategy(SUBJECT.into()),
    )
    .await
    .expect("latest");
    assert_eq!(
        (latest.id, latest.schema),
        (v2, user(&[ID, OPTIONAL_EMAIL]))
    );
    let first = get_schema_by_subject_and_version(&registry.settings, SUBJECT, Some(1)).await;
    assert_eq!(first.expect("version 1").id, v1);
    let versions = get_all_versions(&registry.settings, SUBJECT.into()).await;
    assert_eq!(versions.expect("versions"), vec![1, 2]);

    let body = body(&user(&[ID]));
    let found = perform_sr_call(&registry.settings, SrCall::PostForVersion(SUBJECT, &body))
        .await
        .expect("lookup");
    assert_eq!((found.id, found.version), (Some(v1), Some(1)));

    let (status, raw) = registry
        .get(&format!("/subjects/{SUBJECT}/versions/-1/schema"))
        .await;
    assert_eq!(
        (status, raw),
        (
            200,
            serde_json::from_str(&user(&[ID, OPTIONAL_EMAIL])).expect("json")
        )
    );
    registry.discard().await;
}

#[tokio::test]
async fn schema_ids_survive_a_registry_restart() {
    let registry = TestRegistry::fresh().await;
    let id = registry
        .register(SUBJECT, &user(&[ID]))
        .await
        .expect("registered");
    let registry = registry.restart().await;
    let by_id = get_schema_by_id(id, &registry.settings)
        .await
        .expect("by id");
    assert_eq!(by_id.schema, user(&[ID]));
    let again = registry
        .register(SUBJECT, &user(&[ID]))
        .await
        .expect("re-registered");
    assert_eq!(again, id);
    registry.discard().await;
}

#[tokio::test]
async fn subjects_with_slashes_arrive_percent_encoded_and_are_kept_whole() {
    let registry = TestRegistry::fresh().await;
    let subject = "team/identity-test.User";
    let id = registry
        .register(subject, &user(&[ID]))
        .await
        .expect("registered");
    let latest = get_schema_by_subject_and_version(&registry.settings, subject, None).await;
    assert_eq!(latest.expect("latest").id, id);
    let subjects = get_all_subjects(&registry.settings)
        .await
        .expect("subjects");
    assert_eq!(subjects, vec![subject]);
    registry.discard().await;
}

#[tokio::test]
async fn every_content_type_confluent_clients_send_is_accepted() {
    let registry = TestRegistry::fresh().await;
    let path = format!("/subjects/{SUBJECT}/versions");
    let mut ids = Vec::new();
    for content_type in [
        Some("application/vnd.schemaregistry.v1+json"),
        Some("application/vnd.schemaregistry+json"),
        Some("application/json"),
        None,
    ] {
        let (status, answer) = registry
            .call(Method::POST, &path, content_type, Some(body(&user(&[ID]))))
            .await;
        assert_eq!(status, 200, "{content_type:?}: {answer}");
        ids.push(answer);
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    registry.discard().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registrations_of_one_subject_get_dense_versions() {
    let registry = TestRegistry::fresh().await;
    let none = json!({ "compatibility": "NONE" }).to_string();
    let (status, _) = registry
        .send(Method::PUT, &format!("/config/{SUBJECT}"), none)
        .await;
    assert_eq!(status, 200);
    let mut registrations = JoinSet::new();
    for i in 0..8 {
        let settings = registry.settings.clone();
        let schema = user(&[&format!(r#"{{"name":"f{i}","type":"int"}}"#)]);
        registrations
            .spawn(async move { post_schema(&settings, SUBJECT.into(), avro(&schema)).await });
    }
    let mut ids = Vec::new();
    while let Some(joined) = registrations.join_next().await {
        ids.push(joined.expect("task finished").expect("registered").id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8, "{ids:?}");
    let versions = get_all_versions(&registry.settings, SUBJECT.into()).await;
    assert_eq!(versions.expect("versions"), (1..=8).collect::<Vec<u32>>());
    registry.discard().await;
}
