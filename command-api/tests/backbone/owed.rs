//! Revocations a committed command owes survive the command's process: when they cannot be
//! appended right after the commit (the process dies, the store fails), the debt committed with
//! the command's events, and the sweeper settles it later with the command's actor and reason.

use std::sync::Arc;
use std::time::Duration;

use command_api::sessions::owed::{OwedRevocations, PgOwedRevocations, Sweeper};
use command_api::sessions::{SessionRunner, load};
use command_api::users::fields::{DisplayName, Email};
use command_api::users::{
    Beside, PgUserRows, Registration, UserChange, UserCommand, UserRunner, execute,
};
use events::sessions::RevocationReason;
use events::topics::Category;
use events::{Actor, EventMetadata};
use sqlx::postgres::PgPoolOptions;
use store::event_store::PgEventStore;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{self, Backbone, BackboneExt};

async fn start_session(runner: &SessionRunner, user: Uuid) -> Uuid {
    let session_id = Uuid::now_v7();
    support::start_session(runner, user, session_id, &format!("hash-{session_id}")).await;
    session_id
}

/// How `user`'s sessions ended, by id (`None`: still running).
async fn endings(runner: &SessionRunner, user: Uuid) -> Vec<Option<RevocationReason>> {
    let (sessions, _) = load(runner, &Category::Sessions.stream_id(user))
        .await
        .expect("sessions load");
    sessions
        .sessions
        .values()
        .map(|s| s.revoked.map(|(reason, _)| reason))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabling_whose_revocations_failed_is_settled_by_the_sweeper() {
    let backbone = Backbone::start().await;
    let sessions = backbone.session_runner();
    let ledger = Arc::new(PgOwedRevocations::new(backbone.db.pool.clone()));
    // Its revocations go to a store that cannot be reached, as if the process died after the
    // commit.
    let mut unreachable = sessions.clone();
    let nowhere = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(300))
        .connect_lazy("postgres://nobody@127.0.0.1:1/nothing")
        .expect("lazy pool");
    unreachable.ports.store = Arc::new(PgEventStore::new(nowhere));
    let users = UserRunner {
        ports: sessions.ports.clone(),
        rows: Arc::new(PgUserRows),
        owed: ledger.clone(),
        sessions: unreachable,
        logins: support::logins(),
    };
    let user = Uuid::now_v7();
    let admin = Uuid::now_v7();
    let register = UserCommand::Register(Registration {
        user_id: user,
        email: Email::parse("ada@example.test").expect("valid"),
        display_name: DisplayName::parse("Ada").expect("valid"),
    });
    let hash = Beside {
        password_hash: Some("$argon2id$stand-in".into()),
        session: None,
    };
    execute(&users, user, register, hash, EventMetadata::new(None))
        .await
        .expect("registered");
    start_session(&sessions, user).await;
    start_session(&sessions, user).await;

    let by_admin = EventMetadata::new(Some(Actor::User(admin)));
    let disable = UserCommand::Change(UserChange::Disable);
    execute(&users, user, disable, Beside::default(), by_admin)
        .await
        .expect("the disabling commits although its revocations fail");
    assert_eq!(endings(&sessions, user).await, vec![None, None]);
    let owed = ledger
        .overdue(Duration::ZERO, 10)
        .await
        .expect("ledger reads");
    assert_eq!(owed.len(), 1, "the debt committed with the disabling");

    let shutdown = CancellationToken::new();
    let sweeper = Sweeper {
        runner: sessions.clone(),
        ledger: ledger.clone(),
        every: Duration::from_millis(100),
    };
    let sweeping = tokio::spawn(sweeper.run(shutdown.clone()));
    let disabled = Some(RevocationReason::PrincipalDisabled);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while endings(&sessions, user).await != vec![disabled, disabled] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweeper settles"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    shutdown.cancel();
    sweeping.await.expect("sweeper stops");
    let revoked_by: Vec<Option<Actor>> = sqlx::query_scalar(
        "SELECT payload->'revoked_by' FROM events \
         WHERE stream_id = $1 AND event_type = 'session.revoked.v1'",
    )
    .bind(Category::Sessions.stream_id(user))
    .fetch_all(&backbone.db.pool)
    .await
    .expect("revocations")
    .into_iter()
    .map(|json: serde_json::Value| serde_json::from_value(json).ok())
    .collect();
    assert_eq!(
        revoked_by,
        vec![Some(Actor::User(admin)); 2],
        "the admin's act"
    );
    let left = ledger.overdue(Duration::ZERO, 10).await.expect("reads");
    assert!(left.is_empty(), "the debt is settled: {left:?}");
}
