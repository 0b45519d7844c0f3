//! A Postgres read model records the version it applied in the same transaction as the change:
//! redelivered, stale and concurrent copies of an event change nothing, a failed change
//! records nothing.

use futures::future::join_all;
use sqlx::PgConnection;
use store::event_store::{StoreError, TransactionalWrite, unavailable};
use store::read_model::{PgReadModels, Projected, ReadModels};

use crate::support::Backbone;

const PROJECTION: &str = "counts";
const STREAM: &str = "user-0192f0c0-0000-7000-8000-000000000001";

/// Counts the events applied to a stream, in a table of the test's own.
struct Count;

#[async_trait::async_trait]
impl TransactionalWrite for Count {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO applied (stream_id, events) VALUES ($1, 1) \
             ON CONFLICT (stream_id) DO UPDATE SET events = applied.events + 1",
        )
        .bind(STREAM)
        .execute(conn)
        .await
        .map(drop)
        .map_err(unavailable)
    }
}

/// A change the database refuses.
struct Broken;

#[async_trait::async_trait]
impl TransactionalWrite for Broken {
    async fn write(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO no_such_table VALUES (1)")
            .execute(conn)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}

async fn setup() -> (Backbone, PgReadModels) {
    let backbone = Backbone::start().await;
    sqlx::query("CREATE TABLE applied (stream_id TEXT PRIMARY KEY, events INT NOT NULL)")
        .execute(&backbone.db.pool)
        .await
        .expect("test table");
    let models = PgReadModels::new(backbone.db.pool.clone());
    (backbone, models)
}

async fn applied(backbone: &Backbone) -> i32 {
    sqlx::query_scalar("SELECT coalesce(sum(events), 0)::int FROM applied")
        .fetch_one(&backbone.db.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn redelivered_and_stale_events_change_nothing() {
    let (backbone, models) = setup().await;
    let apply = |version| models.apply(PROJECTION, STREAM, version, &Count);

    assert_eq!(apply(1).await.expect("v1"), Projected::Applied);
    assert_eq!(apply(1).await.expect("v1 again"), Projected::AlreadyApplied);
    assert_eq!(apply(2).await.expect("v2"), Projected::Applied);
    assert_eq!(apply(1).await.expect("stale v1"), Projected::AlreadyApplied);

    assert_eq!(applied(&backbone).await, 2);
    let version = models.projected_version(PROJECTION, STREAM).await;
    assert_eq!(version.expect("version"), 2);
    let other = models.projected_version("another", STREAM).await;
    assert_eq!(
        other.expect("version"),
        0,
        "versions are kept per projection"
    );
}

#[tokio::test]
async fn a_failed_change_records_no_version() {
    let (backbone, models) = setup().await;
    models
        .apply(PROJECTION, STREAM, 1, &Count)
        .await
        .expect("v1");

    let failed = models.apply(PROJECTION, STREAM, 2, &Broken).await;
    assert!(
        matches!(failed, Err(StoreError::Unavailable(_))),
        "{failed:?}"
    );
    let version = models.projected_version(PROJECTION, STREAM).await;
    assert_eq!(
        version.expect("version"),
        1,
        "the failed version is not recorded"
    );

    let retried = models.apply(PROJECTION, STREAM, 2, &Count).await;
    assert_eq!(retried.expect("retry"), Projected::Applied);
    assert_eq!(applied(&backbone).await, 2);
}

#[tokio::test]
async fn concurrent_copies_of_one_event_apply_once() {
    let (backbone, models) = setup().await;
    let copies = (0..8).map(|_| models.apply(PROJECTION, STREAM, 1, &Count));

    let results: Vec<Projected> = join_all(copies)
        .await
        .into_iter()
        .map(|r| r.expect("applies"))
        .collect();

    let winners = results.iter().filter(|r| **r == Projected::Applied).count();
    assert_eq!(winners, 1, "{results:?}");
    assert_eq!(applied(&backbone).await, 1);
}
