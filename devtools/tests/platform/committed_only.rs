//! Events only for committed operations: a user or role command refused for a bad field, an
//! unknown id, or a uniqueness conflict found by the database after the events were decided
//! (an email or a role name another holds) leaves nothing in the store and nothing on Kafka.
//! Only what committed reaches `identity.users.v1` and `identity.roles.v1`.

use std::time::Duration;

use devtools::testing::read_topic;
use events::topics::Category;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Platform, access};

const PASSWORD: &str = "a long and unusual passphrase";

fn user(email: &str) -> Value {
    json!({ "email": email, "password": PASSWORD, "display_name": "Grace" })
}

/// The event types on `category`'s topic (sorted: partitions interleave freely), read until
/// a record of the stream `last_key` and at least `expected` records have arrived.
async fn published(
    platform: &Platform,
    category: Category,
    last_key: String,
    expected: usize,
) -> Vec<String> {
    let topic = platform.stack.kafka.topics().events(category);
    let records = read_topic(
        &platform.stack.kafka.brokers,
        &topic,
        Duration::from_secs(60),
        move |records| {
            records.len() >= expected && records.iter().any(|r| r.key.as_deref() == Some(&last_key))
        },
    )
    .await;
    let mut types: Vec<String> = records
        .iter()
        .map(|r| {
            r.header("event_type")
                .expect("event_type header")
                .to_owned()
        })
        .collect();
    types.sort();
    types
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_user_and_role_commands_put_nothing_on_kafka() {
    let platform = Platform::start().await;
    let admin = platform.admin_session().await;
    let token = access(&admin);
    let first = platform
        .command("/v1/users", token, user("grace@example.test"))
        .await;
    assert_eq!(first.status(), 201);
    let grace: Value = first.json().await.expect("body");
    let role = json!({ "name": "auditor", "permissions": ["audit:read"] });
    assert_eq!(
        platform
            .command("/v1/roles", token, role.clone())
            .await
            .status(),
        201
    );
    let before = platform.event_count().await;

    let refusals = [
        platform
            .command("/v1/users", token, user("not an email"))
            .await,
        platform
            .command("/v1/users", token, user("GRACE@example.test"))
            .await,
        platform
            .command_with(
                Method::PATCH,
                &format!("/v1/users/{}", grace["user_id"].as_str().expect("id")),
                token,
                Some(json!({ "email": "admin@example.test" })),
            )
            .await,
        platform
            .command(
                &format!("/v1/users/{}/disable", Uuid::now_v7()),
                token,
                json!({}),
            )
            .await,
        platform.command("/v1/roles", token, role).await,
        platform
            .command(
                "/v1/roles",
                token,
                json!({ "name": "x", "permissions": ["root"] }),
            )
            .await,
    ];
    let statuses: Vec<u16> = refusals.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [422, 409, 409, 404, 409, 422]);
    assert_eq!(platform.event_count().await, before, "nothing appended");

    let last = platform
        .command("/v1/users", token, user("last@example.test"))
        .await;
    assert_eq!(last.status(), 201);
    let last: Value = last.json().await.expect("body");
    let last_stream = Category::Users.stream_id(last["user_id"].as_str().expect("id"));
    let users = published(&platform, Category::Users, last_stream, 4).await;
    assert_eq!(
        users,
        [
            "user.registered.v1",
            "user.registered.v1",
            "user.registered.v1",
            "user.role_assigned.v1"
        ],
        "the admin's bootstrap, grace and last: nothing of the refusals"
    );
    let marker = platform
        .command(
            "/v1/roles",
            token,
            json!({ "name": "marker", "permissions": [] }),
        )
        .await;
    let marker: Value = marker.json().await.expect("body");
    let marker_stream = Category::Roles.stream_id(marker["role_id"].as_str().expect("id"));
    let roles = published(&platform, Category::Roles, marker_stream, 3).await;
    assert_eq!(
        roles, ["role.created.v1"; 3],
        "admin, auditor and marker only"
    );
}
