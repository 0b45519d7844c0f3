//! Subjects' data keys in Postgres: stored wrapped with the subject's first write, found again
//! to open what they sealed, and shredded in the erasure's transaction, after which nothing
//! opens it.

use std::sync::Arc;

use sqlx::Connection;
use store::event_store::TransactionalWrite;
use store::subject_keys::{KeyWrapper, PgSubjectKeys, SubjectKeys};
use uuid::Uuid;

use crate::support::Backbone;

#[tokio::test]
async fn a_key_is_stored_wrapped_found_again_and_shredded_for_good() {
    let backbone = Backbone::start().await;
    let pool = backbone.db.pool.clone();
    let wrapper = Arc::new(KeyWrapper::derive(&[42; 32]).expect("wrapper"));
    let keys = PgSubjectKeys::new(pool.clone(), wrapper);
    let subject = Uuid::now_v7();
    let (key, row) = keys.generate(subject).expect("key");
    let sealed = key.seal("profile.name", "Grace Hopper").expect("sealed");
    assert_eq!(keys.find(subject).await.expect("readable").map(drop), None);

    let mut conn = pool.acquire().await.expect("connection");
    let mut tx = conn.begin().await.expect("transaction");
    row.write(&mut tx).await.expect("stored");
    tx.commit().await.expect("committed");

    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT wrapped FROM subject_keys WHERE subject_id = $1")
            .bind(subject)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_ne!(
        stored.len(),
        32,
        "wrapped (nonce and tag added), not the raw key"
    );
    let found = keys.find(subject).await.expect("readable").expect("found");
    assert_eq!(
        found.open("profile.name", &sealed).expect("opens"),
        "Grace Hopper"
    );

    // Shredding commits with the erasure's transaction: rolled back, the key stays.
    let mut tx = conn.begin().await.expect("transaction");
    keys.shred(subject).write(&mut tx).await.expect("deleted");
    tx.rollback().await.expect("rolled back");
    assert!(keys.find(subject).await.expect("readable").is_some());
    for _ in 0..2 {
        let mut tx = conn.begin().await.expect("transaction");
        keys.shred(subject)
            .write(&mut tx)
            .await
            .expect("erasing twice is no fault");
        tx.commit().await.expect("committed");
        assert!(keys.find(subject).await.expect("readable").is_none());
    }
}
