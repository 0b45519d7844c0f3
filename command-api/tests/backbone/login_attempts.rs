//! Login attempts: an attempt in progress holds no pooled connection (the password check in
//! between ties up none), failures counted by several instances at once add up, and counters
//! are kept per source with the account's beside them.

use chrono::Utc;
use command_api::auth::lockout::{LockoutArgs, LoginAttempts, PgLoginAttempts};
use futures::future::join_all;
use runtime::db::DatabaseArgs;

use crate::support::Backbone;

const SOURCE: &str = "192.0.2.1";

fn args() -> LockoutArgs {
    LockoutArgs {
        max_failures: 100,
        ..LockoutArgs::default()
    }
}

#[tokio::test]
async fn an_attempt_in_progress_holds_no_pooled_connection() {
    let backbone = Backbone::start().await;
    let one = DatabaseArgs {
        max_connections: 1,
        ..backbone.db.db_args()
    }
    .pool()
    .expect("pool");
    let attempts = PgLoginAttempts::new(one.clone());

    // An attempt waiting on its password check.
    let attempt = attempts
        .begin("first@example.com", SOURCE)
        .await
        .expect("begins");
    sqlx::query("SELECT 1")
        .execute(&one)
        .await
        .expect("the only connection is free while an attempt is in progress");

    let tripped = attempt.failed(Utc::now(), &args()).await.expect("counted");
    assert_eq!(tripped, None);
    let again = attempts
        .begin("first@example.com", SOURCE)
        .await
        .expect("begins");
    assert_eq!(again.standing().source.failures, 1);
    again.succeeded().await.expect("cleared");
    let cleared = attempts
        .begin("first@example.com", SOURCE)
        .await
        .expect("begins");
    assert_eq!(cleared.standing().source.failures, 0);
}

#[tokio::test]
async fn failures_counted_by_several_instances_at_once_add_up() {
    let backbone = Backbone::start().await;
    let instances: Vec<PgLoginAttempts> = (0..4)
        .map(|_| PgLoginAttempts::new(backbone.db.pool.clone()))
        .collect();

    let guesses = instances.iter().flat_map(|instance| {
        (0..3).map(move |_| async move {
            let guard = instance
                .begin("target@example.com", SOURCE)
                .await
                .expect("begins");
            guard.failed(Utc::now(), &args()).await.expect("counted")
        })
    });
    join_all(guesses).await;

    let guard = instances[0]
        .begin("target@example.com", SOURCE)
        .await
        .expect("begins");
    assert_eq!(guard.standing().source.failures, 12, "no failure lost");
}

#[tokio::test]
async fn the_failure_that_reaches_the_limit_locks_the_login_for_every_instance() {
    let backbone = Backbone::start().await;
    let (a, b) = (
        PgLoginAttempts::new(backbone.db.pool.clone()),
        PgLoginAttempts::new(backbone.db.pool.clone()),
    );
    let limit = LockoutArgs {
        max_failures: 2,
        ..LockoutArgs::default()
    };
    let now = Utc::now();
    let first = a.begin("victim@example.com", SOURCE).await.expect("begins");
    assert_eq!(first.failed(now, &limit).await.expect("counted"), None);
    let second = b.begin("victim@example.com", SOURCE).await.expect("begins");
    let tripped = second.failed(now, &limit).await.expect("counted");
    assert!(tripped.is_some(), "the second failure locks");

    let seen = a.begin("victim@example.com", SOURCE).await.expect("begins");
    assert!(seen.standing().locked_at(now).is_some());
}

#[tokio::test]
async fn counters_are_per_source_and_a_success_makes_its_source_known() {
    let backbone = Backbone::start().await;
    let attempts = PgLoginAttempts::new(backbone.db.pool.clone());
    let now = Utc::now();
    for source in ["192.0.2.1", "192.0.2.2", "192.0.2.2"] {
        let guard = attempts
            .begin("owner@example.com", source)
            .await
            .expect("begins");
        guard.failed(now, &args()).await.expect("counted");
    }
    let second = attempts
        .begin("owner@example.com", "192.0.2.2")
        .await
        .expect("begins")
        .standing();
    assert_eq!((second.source.failures, second.account.failures), (2, 3));
    assert!(!second.known_source);

    let home = attempts
        .begin("owner@example.com", "198.51.100.7")
        .await
        .expect("begins");
    assert_eq!(home.standing().source.failures, 0);
    home.succeeded().await.expect("cleared");
    let home = attempts
        .begin("owner@example.com", "198.51.100.7")
        .await
        .expect("begins")
        .standing();
    assert!(home.known_source, "a source that logged in is known");
    assert_eq!(
        home.account.failures, 0,
        "a success clears the account's count"
    );
    let other = attempts
        .begin("owner@example.com", "192.0.2.2")
        .await
        .expect("begins")
        .standing();
    assert_eq!(other.source.failures, 2, "and leaves other sources' counts");
}

#[tokio::test]
async fn counters_and_known_sources_unused_past_the_retention_are_forgotten() {
    let backbone = Backbone::start().await;
    let attempts = PgLoginAttempts::new(backbone.db.pool.clone());
    let begin = |login: &'static str| attempts.begin(login, SOURCE);
    begin("known@example.com")
        .await
        .expect("begins")
        .succeeded()
        .await
        .expect("known");
    begin("guessed@example.com")
        .await
        .expect("begins")
        .failed(Utc::now(), &args())
        .await
        .expect("counted");
    let locking = LockoutArgs {
        max_failures: 1,
        lockout_secs: 3600,
        ..LockoutArgs::default()
    };
    begin("locked@example.com")
        .await
        .expect("begins")
        .failed(Utc::now(), &locking)
        .await
        .expect("locked");
    begin("recent@example.com")
        .await
        .expect("begins")
        .succeeded()
        .await
        .expect("known");
    sqlx::query(
        "UPDATE login_attempts SET updated_at = now() - interval '100 days' \
         WHERE login <> 'recent@example.com'",
    )
    .execute(&backbone.db.pool)
    .await
    .expect("aged");

    let retention = LockoutArgs::default().retained_since(Utc::now());
    let forgotten = attempts.forget_unused(retention).await.expect("forgotten");
    assert_eq!(
        forgotten, 4,
        "the known source, the counters and the lock's account row"
    );
    let standing = |login| async move { begin(login).await.expect("begins").standing() };
    assert!(!standing("known@example.com").await.known_source);
    assert_eq!(standing("guessed@example.com").await.source.failures, 0);
    assert!(
        standing("locked@example.com")
            .await
            .source
            .locked_until
            .is_some(),
        "a lock still running stays"
    );
    assert!(standing("recent@example.com").await.known_source);
}

#[tokio::test]
async fn a_known_source_logging_in_again_after_a_day_is_marked_used() {
    let backbone = Backbone::start().await;
    let attempts = PgLoginAttempts::new(backbone.db.pool.clone());
    let login = "returning@example.com";
    for _ in 0..2 {
        attempts
            .begin(login, SOURCE)
            .await
            .expect("begins")
            .succeeded()
            .await
            .expect("known");
    }
    let used_at = || async {
        sqlx::query_scalar::<_, chrono::DateTime<Utc>>(
            "SELECT updated_at FROM login_attempts WHERE login = $1",
        )
        .bind(login)
        .fetch_one(&backbone.db.pool)
        .await
        .expect("row")
    };
    sqlx::query("UPDATE login_attempts SET updated_at = now() - interval '2 days'")
        .execute(&backbone.db.pool)
        .await
        .expect("aged");
    let before = used_at().await;
    attempts
        .begin(login, SOURCE)
        .await
        .expect("begins")
        .succeeded()
        .await
        .expect("known");
    assert!(used_at().await > before + chrono::Duration::days(1));
}
