//! The customer directory on the projector runtime's resilience: an event whose sealed field
//! does not open with its customer's existing key (a poison, unlike an erased customer's event,
//! which leaves no rows) is dead-lettered with its origin and an error that names the field,
//! never its value; it parks only its customer's stream, and other customers flow.

use devtools::testing::{eventually, read_topic};
use events::EventMetadata;
use events::customers::{CustomerEvent, CustomerProfileChanged, Sealed, sealed_as};
use events::topics::Category;
use reqwest::Method;
use serde_json::json;
use store::event_store::{EventStore, NewEvent, PgEventStore};
use store::subject_keys::DataKey;
use uuid::Uuid;

use crate::customers::{customer, projected};
use crate::support::{Platform, TIMEOUT, access};

const SECRET_NAME: &str = "Poisonous Name 5k";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_does_not_open_parks_only_its_customer() {
    let platform = Platform::start().await;
    let pool = &platform.stack.db.pool;
    let (poisoned, _) = customer(&platform, "poisoned@example.test", "Poisoned").await;
    let (healthy, healthy_session) = customer(&platform, "healthy@example.test", "Healthy").await;

    let customer_id: Uuid = poisoned.parse().expect("id");
    let stranger = DataKey::generate(Uuid::now_v7()).expect("another subject's key");
    let sealed = stranger.seal(sealed_as::NAME, SECRET_NAME).expect("sealed");
    let event = CustomerEvent::ProfileChanged(CustomerProfileChanged {
        customer_id,
        name: Sealed(sealed),
        phone: None,
        birth_date: None,
        changed_at: events::now(),
    });
    let stream = Category::Customers.stream_id(customer_id);
    let event = NewEvent::new(&event, EventMetadata::new(None)).expect("event");
    PgEventStore::new(pool.clone())
        .append(&stream, 1, vec![event])
        .await
        .expect("appended");

    let path = format!("/v1/customers/{healthy}");
    let body = json!({ "name": "Still Flowing" });
    let changed = platform
        .command_with(Method::PATCH, &path, access(&healthy_session), Some(body))
        .await;
    assert_eq!(changed.status(), 200);

    let kafka = &platform.stack.kafka;
    let dead_letters = read_topic(
        &kafka.brokers,
        &kafka.topics().dead_letters(Category::Customers),
        TIMEOUT,
        |records| !records.is_empty(),
    )
    .await;
    let dead = &dead_letters[0];
    assert_eq!(dead.key.as_deref(), Some(stream.as_str()));
    assert_eq!(dead.header("dlq.projection"), Some("customer-directory"));
    assert_eq!(dead.header("dlq.error.class"), Some("permanent"));
    let error = dead.header("dlq.error.message").unwrap_or_default();
    assert!(error.contains("profile.name does not open"), "{error}");
    let record = format!("{:?} {:?}", dead.headers, dead.payload);
    assert!(
        !record.contains(SECRET_NAME),
        "no personal value in a dead letter"
    );

    let parked: i64 = eventually(TIMEOUT, "the poisoned stream to be parked", || async {
        let parked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM parked_streams \
             WHERE projection = 'customer-directory' AND stream_id = $1",
        )
        .bind(&stream)
        .fetch_one(pool)
        .await
        .expect("parked streams");
        (parked > 0).then_some(parked)
    })
    .await;
    assert_eq!(parked, 1);
    let wanted = format!("{path}?min_version=2");
    let account = projected(&platform, &wanted, access(&healthy_session)).await;
    assert_eq!(account["name"], json!("Still Flowing"));
}
