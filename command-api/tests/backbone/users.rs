//! User commands with the rows they write beside their events, on real Postgres: an email is
//! one principal's only (two registrations racing for it make one user, and the loser leaves
//! no event), each change writes what logins read, and logins are stored as keyed hashes.

use std::sync::Arc;

use command_api::auth::credentials::hash_stored_logins;
use command_api::sessions::owed::PgOwedRevocations;
use command_api::users::{
    Beside, PgUserRows, Registration, UserChange, UserCommand, UserRunner, execute,
    fields::{DisplayName, Email},
};
use events::EventMetadata;
use store::aggregate::RunError;
use store::event_store::StoreError;
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt};

fn runner(backbone: &Backbone) -> UserRunner {
    let sessions = backbone.session_runner();
    UserRunner {
        ports: sessions.ports.clone(),
        rows: Arc::new(PgUserRows),
        owed: Arc::new(PgOwedRevocations::new(backbone.db.pool.clone())),
        sessions,
        logins: crate::support::logins(),
    }
}

fn registration(user_id: Uuid, email: &str) -> UserCommand {
    UserCommand::Register(Registration {
        user_id,
        email: Email::parse(email).expect("valid email"),
        display_name: DisplayName::parse("Ada").expect("valid name"),
    })
}

/// A login as the credentials table holds it.
fn digest(email: &str) -> String {
    crate::support::logins().digest(email)
}

async fn events_of(backbone: &Backbone, user_id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id = $1")
        .bind(events::topics::Category::Users.stream_id(user_id))
        .fetch_one(&backbone.db.pool)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_registrations_racing_for_one_email_make_one_user() {
    let backbone = Backbone::start().await;
    let runner = runner(&backbone);
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let register = |id: Uuid, email: &'static str| {
        let runner = runner.clone();
        tokio::spawn(async move {
            execute(
                &runner,
                id,
                registration(id, email),
                Beside {
                    password_hash: Some("$argon2id$stand-in".into()),
                    session: None,
                },
                EventMetadata::new(None),
            )
            .await
        })
    };
    let (a, b) = (
        register(first, "ada@example.test"),
        register(second, " ADA@example.test"),
    );
    let outcomes = [a.await.expect("task"), b.await.expect("task")];
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(won, 1, "one registration wins: {outcomes:?}");
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Err(RunError::Store(StoreError::Taken("login"))))),
        "the other finds the email taken: {outcomes:?}"
    );
    let counts = [
        events_of(&backbone, first).await,
        events_of(&backbone, second).await,
    ];
    assert_eq!(counts.iter().sum::<i64>(), 1, "the loser appended nothing");
}

#[tokio::test]
async fn each_change_writes_what_logins_read() {
    let backbone = Backbone::start().await;
    let runner = runner(&backbone);
    let user = Uuid::now_v7();
    let run = |command, hash: Option<&str>| {
        let runner = runner.clone();
        let beside = Beside {
            password_hash: hash.map(str::to_owned),
            session: None,
        };
        async move {
            execute(&runner, user, command, beside, EventMetadata::new(None))
                .await
                .expect("command runs")
        }
    };
    run(registration(user, "grace@example.test"), Some("hash-1")).await;
    let credential = || async {
        sqlx::query_as::<_, (String, String, bool)>(
            "SELECT login, password_hash, disabled FROM credentials WHERE principal_id = $1",
        )
        .bind(user)
        .fetch_one(&backbone.db.pool)
        .await
        .expect("credential")
    };
    assert_eq!(
        credential().await,
        (digest("grace@example.test"), "hash-1".into(), false)
    );

    let email = Email::parse("hopper@example.test").expect("valid");
    run(UserCommand::Change(UserChange::Email(email)), None).await;
    run(UserCommand::Change(UserChange::Password), Some("hash-2")).await;
    run(UserCommand::Change(UserChange::Disable), None).await;
    assert_eq!(
        credential().await,
        (digest("hopper@example.test"), "hash-2".into(), true)
    );
    run(UserCommand::Change(UserChange::Enable), None).await;
    assert!(!credential().await.2);

    let role = command_api::bootstrap::ADMIN_ROLE_ID;
    sqlx::query("INSERT INTO auth_roles (role_id, name, permissions) VALUES ($1, 'admin', '{}')")
        .bind(role)
        .execute(&backbone.db.pool)
        .await
        .expect("role row");
    let holds = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM auth_user_roles WHERE user_id = $1")
            .bind(user)
            .fetch_one(&backbone.db.pool)
            .await
            .expect("assignments")
    };
    run(UserCommand::Change(UserChange::AssignRole(role)), None).await;
    assert_eq!(holds().await, 1);
    run(UserCommand::Change(UserChange::UnassignRole(role)), None).await;
    assert_eq!(holds().await, 0);
    assert_eq!(events_of(&backbone, user).await, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_an_older_version_stored_as_addresses_are_replaced_by_their_hashes() {
    let backbone = Backbone::start().await;
    let pool = &backbone.db.pool;
    let (legacy, hashed) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, login) in [
        (legacy, "old@example.test".to_owned()),
        (hashed, digest("new@example.test")),
    ] {
        sqlx::query(
            "INSERT INTO credentials (principal_id, principal_type, login, password_hash) \
             VALUES ($1, 'user', $2, 'hash')",
        )
        .bind(id)
        .bind(login)
        .execute(pool)
        .await
        .expect("credential");
    }
    sqlx::query("INSERT INTO login_attempts (login, source, failures) VALUES ($1, '*', 3)")
        .bind("old@example.test")
        .execute(pool)
        .await
        .expect("counter");

    let logins = crate::support::logins();
    let changed = hash_stored_logins(pool, &logins).await.expect("rehashed");
    assert_eq!(
        changed, 2,
        "the credential and the counter of the old login"
    );
    let stored = |id: Uuid| async move {
        sqlx::query_scalar::<_, String>("SELECT login FROM credentials WHERE principal_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("credential")
    };
    assert_eq!(stored(legacy).await, digest("old@example.test"));
    assert_eq!(stored(hashed).await, digest("new@example.test"));
    let counters: Vec<(String, i32)> = sqlx::query_as("SELECT login, failures FROM login_attempts")
        .fetch_all(pool)
        .await
        .expect("counters");
    assert_eq!(counters, vec![(digest("old@example.test"), 3)]);
    assert_eq!(hash_stored_logins(pool, &logins).await.expect("again"), 0);
}
