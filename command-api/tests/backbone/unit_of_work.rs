//! Rows a context writes beside its events (here a credential) commit with them or not at all:
//! through `EventStore::commit` and through the generic runner's hooks.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use command_api::auth::credentials::Credential;
use events::users::{UserEvent, UserRegistered};
use events::{EventMetadata, PrincipalType};
use runtime::clock::SystemClock;
use serde::{Deserialize, Serialize};
use store::aggregate::{self, Aggregate, Hooks, KeptStates, Ports, RunError};
use store::event_store::{
    EventStore, NewEvent, PgSnapshots, StoreError, StreamAppend, Transaction, TransactionalWrite,
};
use uuid::Uuid;

use crate::support::{Backbone, BackboneExt};

/// A user account that registers once, with its login kept in the credentials table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Account {
    version: i64,
}

#[derive(Debug, PartialEq)]
struct AlreadyRegistered;

impl Aggregate for Account {
    type Event = UserEvent;
    type Command = String;
    type Error = AlreadyRegistered;

    const CATEGORY: events::topics::Category = events::topics::Category::Users;
    const SNAPSHOT_FORMAT: i32 = 1;
    const SNAPSHOT_EVERY: i64 = 100;

    fn version(&self) -> i64 {
        self.version
    }

    fn decide(&self, login: String, now: DateTime<Utc>) -> Result<Vec<UserEvent>, Self::Error> {
        if self.version > 0 {
            return Err(AlreadyRegistered);
        }
        Ok(vec![UserEvent::Registered(UserRegistered {
            user_id: Uuid::nil(),
            email: login.clone(),
            display_name: login,
            registered_at: now,
        })])
    }

    fn evolve(self, version: i64, _: &UserEvent) -> Self {
        Self { version }
    }
}

/// Writes the registered login as a credential in the append's transaction.
struct WithCredential;

#[async_trait::async_trait]
impl Hooks<Account> for WithCredential {
    type Ticket = ();

    async fn before_append(&self, _: &[UserEvent]) {}

    fn writes(&self, id: Uuid, events: &[UserEvent]) -> Vec<Box<dyn TransactionalWrite>> {
        events
            .iter()
            .filter_map(|e| match e {
                UserEvent::Registered(r) => Some(credential(id, r)),
                _ => None,
            })
            .collect()
    }

    async fn after_commit(&self, _: Uuid, _: &[events::RawEvent], _: ()) {}
}

fn credential(principal_id: Uuid, registered: &UserRegistered) -> Box<dyn TransactionalWrite> {
    Box::new(Credential {
        principal_id,
        principal_type: PrincipalType::User,
        login: registered.email.clone(),
        password_hash: "$argon2id$not-checked-here".into(),
    })
}

fn registration(user_id: Uuid, login: &str) -> Transaction {
    let registered = UserRegistered {
        user_id,
        email: login.into(),
        display_name: login.into(),
        registered_at: events::now(),
    };
    let event = UserEvent::Registered(registered.clone());
    Transaction {
        appends: vec![StreamAppend {
            stream_id: events::topics::Category::Users.stream_id(user_id),
            expected_version: 0,
            events: vec![NewEvent::new(&event, EventMetadata::new(None)).expect("event")],
        }],
        writes: vec![credential(user_id, &registered)],
    }
}

async fn logins(backbone: &Backbone, login: &str) -> Vec<Uuid> {
    sqlx::query_scalar("SELECT principal_id FROM credentials WHERE login = $1")
        .bind(login)
        .fetch_all(&backbone.db.pool)
        .await
        .expect("credentials readable")
}

async fn user_stream(store: &impl EventStore, user_id: Uuid) -> Vec<events::RawEvent> {
    let stream = events::topics::Category::Users.stream_id(user_id);
    store.read_stream(&stream, 1).await.expect("read")
}

#[tokio::test]
async fn a_commit_whose_credential_is_taken_writes_none_of_its_events() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    store
        .commit(registration(first, "taken@example.com"))
        .await
        .expect("first registration commits");
    let refused = store
        .commit(registration(second, "taken@example.com"))
        .await;

    assert!(
        matches!(refused, Err(StoreError::Taken("login"))),
        "a held login is taken, not {refused:?}"
    );
    assert!(
        user_stream(&store, second).await.is_empty(),
        "no event written"
    );
    assert_eq!(logins(&backbone, "taken@example.com").await, vec![first]);
}

#[tokio::test]
async fn the_runner_commits_a_hooks_writes_with_the_events_or_neither() {
    let backbone = Backbone::start().await;
    let store = backbone.store();
    let ports = Ports {
        store: Arc::new(store.clone()),
        snapshots: Arc::new(PgSnapshots::new(backbone.db.pool.clone())),
        clock: Arc::new(SystemClock),
        kept: KeptStates::new(1 << 20),
    };
    let run = |id: Uuid, login: &str| {
        let ports = ports.clone();
        let login = login.to_owned();
        async move {
            aggregate::run::<Account, _>(
                &ports,
                &WithCredential,
                id,
                login,
                EventMetadata::new(None),
            )
            .await
        }
    };
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    let registered = run(first, "one@example.com").await.expect("registers");
    assert_eq!(registered.version, 1);
    assert_eq!(logins(&backbone, "one@example.com").await, vec![first]);

    let refused = run(second, "one@example.com").await;
    assert!(
        matches!(refused, Err(RunError::Store(StoreError::Taken("login")))),
        "a held login is taken, not {refused:?}"
    );
    assert!(
        user_stream(&store, second).await.is_empty(),
        "no event written"
    );

    let again = run(first, "other@example.com").await;
    assert!(matches!(again, Err(RunError::Domain(AlreadyRegistered))));
    assert!(logins(&backbone, "other@example.com").await.is_empty());
}
