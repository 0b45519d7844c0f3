//! The directory on the projector runtime's resilience: a record nothing can decode on the
//! users' topic is dead-lettered with its origin, parks only its user's stream (later changes
//! of that user wait, other users flow), and a redrive from the event store applies what was
//! held and unparks it.

use devtools::testing::eventually;
use devtools::testing::read_topic;
use events::topics::Category;
use rdkafka::producer::{FutureProducer, FutureRecord};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{Platform, TIMEOUT, access};

/// Confluent wire format naming a schema id the registry never issued.
const POISON: &[u8] = &[0, 0, 0, 0x7f, 0x7f, 2, 4, 6, 8];
const PASSWORD: &str = "a long and unusual passphrase";

async fn display_name(pool: &PgPool, user: &str) -> Option<String> {
    sqlx::query_scalar("SELECT display_name FROM directory_users WHERE user_id = $1::uuid")
        .bind(user)
        .fetch_optional(pool)
        .await
        .expect("directory readable")
}

async fn rename(platform: &Platform, token: &str, user: &str, name: &str) {
    let body = json!({ "display_name": name });
    let path = format!("/v1/users/{user}");
    let renamed = platform
        .command_with(Method::PATCH, &path, token, Some(body))
        .await;
    assert_eq!(renamed.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_user_record_parks_only_its_stream_until_redriven() {
    let platform = Platform::start().await;
    let pool = &platform.stack.db.pool;
    let admin = platform.admin_session().await;
    let token = access(&admin);
    let mut users = Vec::new();
    for email in ["poisoned@example.test", "healthy@example.test"] {
        let body = json!({ "email": email, "password": PASSWORD, "display_name": "Before" });
        let created = platform.command("/v1/users", token, body).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.expect("body");
        users.push(created["user_id"].as_str().expect("id").to_owned());
    }
    for user in &users {
        eventually(TIMEOUT, "the directory to hold the users", || async {
            display_name(pool, user).await
        })
        .await;
    }

    let kafka = &platform.stack.kafka;
    let stream = format!("{}-{}", Category::Users.stream_prefix(), users[0]);
    let producer: FutureProducer = kafka.client_config().create().expect("producer");
    producer
        .send(
            FutureRecord::to(&kafka.topics().events(Category::Users))
                .key(stream.as_bytes())
                .payload(POISON),
            std::time::Duration::from_secs(10),
        )
        .await
        .expect("poison produced");
    rename(&platform, token, &users[0], "Held back").await;
    rename(&platform, token, &users[1], "Flowing").await;

    let dead_letters = read_topic(
        &kafka.brokers,
        &kafka.topics().dead_letters(Category::Users),
        TIMEOUT,
        |records| !records.is_empty(),
    )
    .await;
    assert_eq!(dead_letters[0].key.as_deref(), Some(stream.as_str()));
    assert_eq!(dead_letters[0].payload.as_deref(), Some(POISON));
    assert_eq!(
        dead_letters[0].header("dlq.projection"),
        Some("directory-users")
    );

    eventually(TIMEOUT, "the healthy user's change to flow", || async {
        (display_name(pool, &users[1]).await.as_deref() == Some("Flowing")).then_some(())
    })
    .await;
    eventually(
        TIMEOUT,
        "the poisoned stream's change to be held",
        || async {
            let held: Option<i32> = sqlx::query_scalar(
                "SELECT held_events FROM parked_streams \
             WHERE projection = 'directory-users' AND stream_id = $1",
            )
            .bind(&stream)
            .fetch_optional(pool)
            .await
            .expect("parked streams");
            held.filter(|h| *h >= 1)
        },
    )
    .await;
    assert_eq!(
        display_name(pool, &users[0]).await.as_deref(),
        Some("Before")
    );

    let redriven = projectors::ops::redrive(projectors::cli::RedriveArgs {
        stream: stream.clone(),
        db: platform.stack.db.db_args(),
        redis: platform.stack.redis.clone(),
        master: runtime::master_key::MasterKeyArgs {
            master_key: platform.master_key.clone().into(),
        },
    })
    .await
    .expect("redrive");
    assert_eq!(redriven.to_version, 2);
    assert_eq!(
        display_name(pool, &users[0]).await.as_deref(),
        Some("Held back")
    );
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM parked_streams")
        .fetch_one(pool)
        .await
        .expect("parked streams");
    assert_eq!(parked, 0, "unparked");

    rename(&platform, token, &users[0], "Live again").await;
    eventually(TIMEOUT, "the unparked stream's next change", || async {
        (display_name(pool, &users[0]).await.as_deref() == Some("Live again")).then_some(())
    })
    .await;
}
