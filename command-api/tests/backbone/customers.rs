//! Customer sign-up and erasure with the rows they write, on real Postgres: personal values
//! reach the events table only sealed; an email is one principal's only; erasure deletes the
//! data key and the credential with its event, so nothing sealed opens and the email is free.

use std::sync::Arc;

use command_api::customers::{
    CustomerCommand, CustomerError, CustomerRunner, NewCustomer, PgCustomerRows, execute, key_of,
    sign_up,
};
use command_api::sessions::owed::PgOwedRevocations;
use command_api::users::fields::Email;
use events::EventMetadata;
use store::aggregate::RunError;
use store::event_store::StoreError;
use store::subject_keys::{KeyWrapper, PgSubjectKeys};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt, logins};

const NAME: &str = "Marker-Name-5c1e";

fn runner(backbone: &Backbone) -> CustomerRunner {
    let sessions = backbone.session_runner();
    let wrapper = Arc::new(KeyWrapper::derive(&[7; 32]).expect("wrapper"));
    CustomerRunner {
        ports: sessions.ports.clone(),
        keys: Arc::new(PgSubjectKeys::new(backbone.db.pool.clone(), wrapper)),
        rows: Arc::new(PgCustomerRows),
        logins: logins(),
        owed: Arc::new(PgOwedRevocations::new(backbone.db.pool.clone())),
        sessions,
    }
}

fn new_customer(email: &str) -> NewCustomer {
    NewCustomer {
        email: Email::parse(email).expect("valid email"),
        name: NAME.into(),
        phone: Some("+41446681800".into()),
        password_hash: "$argon2id$stand-in".into(),
    }
}

async fn credentials_of(backbone: &Backbone, id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM credentials WHERE principal_id = $1")
        .bind(id)
        .fetch_one(&backbone.db.pool)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_signs_up_sealed_and_erasure_shreds_its_key_and_frees_its_email() {
    let backbone = Backbone::start().await;
    let runner = runner(&backbone);
    let metadata = || EventMetadata::new(None);
    let email = "marker-email-5c1e@example.test";
    let id = Uuid::now_v7();
    sign_up(&runner, id, new_customer(email), metadata())
        .await
        .expect("signed up");

    let payloads: String = sqlx::query_scalar(
        "SELECT string_agg(payload::text, ' ') FROM events WHERE stream_id = $1",
    )
    .bind(format!("customer-{id}"))
    .fetch_one(&backbone.db.pool)
    .await
    .expect("payloads");
    for marker in [NAME, email, "+41446681800"] {
        assert!(
            !payloads.contains(marker),
            "{marker} in the clear: {payloads}"
        );
    }
    assert!(payloads.contains("enc:v1:"));
    let key = key_of(&runner, id).await.expect("key");
    let sealed = payloads
        .split('"')
        .find(|s| s.starts_with("enc:v1:") && key.open("profile.name", s).is_ok())
        .expect("the sealed name");
    assert_eq!(key.open("profile.name", sealed).expect("opens"), NAME);

    let again = sign_up(
        &runner,
        Uuid::now_v7(),
        new_customer(" MARKER-email-5c1e@Example.test"),
        metadata(),
    )
    .await;
    assert!(
        matches!(again, Err(RunError::Store(StoreError::Taken("login")))),
        "one email, one principal: {again:?}"
    );

    let erased = execute(&runner, id, CustomerCommand::Erase, metadata())
        .await
        .expect("erased");
    assert_eq!(erased.events.len(), 1);
    assert!(matches!(
        key_of(&runner, id).await,
        Err(RunError::Domain(CustomerError::NotFound))
    ));
    assert_eq!(credentials_of(&backbone, id).await, 0);
    let twice = execute(&runner, id, CustomerCommand::Erase, metadata())
        .await
        .expect("erasing twice");
    assert!(twice.events.is_empty());
    assert_eq!(twice.state.erased_at, erased.state.erased_at);
    sign_up(&runner, Uuid::now_v7(), new_customer(email), metadata())
        .await
        .expect("the email is free again");
}
