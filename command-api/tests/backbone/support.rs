//! One isolated backbone per test, and events to put through it.

use std::sync::Arc;
use std::time::Duration;

use command_api::relay::{Publisher, Relay, RelayArgs, RelayMetrics, StepOutcome};
use command_api::sessions::{Command, SessionArgs, SessionRunner, StartSession, execute};
use devtools::testing::{Record, TestStack, read_topic};
use events::sessions::{SessionEvent, SessionRefreshed, SessionStarted};
use events::topics::Category;
use events::{Actor, EventMetadata, PrincipalType};
use runtime::clock::SystemClock;
use store::aggregate::{KeptStates, Ports};
use store::event_store::{EventStore, NewEvent, PgEventStore, PgSnapshots};
use store::session_cache::SessionCache;
use uuid::Uuid;

const RELAY_TIMEOUT: Duration = Duration::from_secs(60);

pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// How these tests store logins (a fixed master key).
pub fn logins() -> Arc<store::subject_keys::LoginIndex> {
    Arc::new(store::subject_keys::LoginIndex::derive(&[7; 32]).expect("login index"))
}

/// Customers' data keys on `pool`, wrapped under the same fixed master key.
pub fn subject_keys(pool: &sqlx::PgPool) -> Arc<store::subject_keys::PgSubjectKeys> {
    let wrapper = store::subject_keys::KeyWrapper::derive(&[7; 32]).expect("wrapper");
    Arc::new(store::subject_keys::PgSubjectKeys::new(
        pool.clone(),
        Arc::new(wrapper),
    ))
}

/// The backbone's services for one test.
pub type Backbone = TestStack;

/// What the backbone tests do with their services.
pub trait BackboneExt {
    fn store(&self) -> PgEventStore;
    fn relay(&self) -> Relay;
    fn relay_with(&self, args: RelayArgs) -> Relay;
    /// A relay with `args` whose metrics land in `metrics`.
    fn relay_measured(&self, args: RelayArgs, metrics: RelayMetrics) -> Relay;
    /// Runs sessions commands on this backbone's store and cache; each runner stands for one
    /// process (its own kept states).
    fn session_runner(&self) -> SessionRunner;
    fn sessions_topic(&self) -> String;
    /// Reads the sessions topic until every id in `expected` was seen at least once.
    async fn read_until_all(&self, expected: &[Uuid], timeout: Duration) -> Vec<Record>;
}

impl BackboneExt for TestStack {
    fn store(&self) -> PgEventStore {
        PgEventStore::new(self.db.pool.clone())
    }

    fn relay(&self) -> Relay {
        self.relay_with(RelayArgs {
            message_timeout_ms: 5_000,
            max_backoff_ms: 500,
            poll_interval_ms: 50,
            ..RelayArgs::default()
        })
    }

    fn relay_with(&self, args: RelayArgs) -> Relay {
        self.relay_measured(args, RelayMetrics::default())
    }

    fn relay_measured(&self, args: RelayArgs, metrics: RelayMetrics) -> Relay {
        let publisher = Publisher::new(&self.kafka, Duration::from_millis(args.message_timeout_ms))
            .expect("producer");
        Relay::new(
            self.db.pool.clone(),
            self.db
                .db_args()
                .connect_options()
                .expect("connect options"),
            publisher,
            metrics,
            args,
        )
    }

    fn session_runner(&self) -> SessionRunner {
        let pool = self.db.pool.clone();
        let cache = SessionCache::new(
            self.redis.connect().expect("redis"),
            self.redis.key_prefix.clone(),
        );
        SessionRunner {
            ports: Ports {
                store: Arc::new(PgEventStore::new(pool.clone())),
                snapshots: Arc::new(PgSnapshots::new(pool.clone())),
                clock: Arc::new(SystemClock),
                kept: KeptStates::new(1 << 20),
            },
            cache,
            history: Arc::new(PgEventStore::new(pool)),
            policy: (&SessionArgs::default()).into(),
            subjects: subject_keys(&self.db.pool),
        }
    }

    fn sessions_topic(&self) -> String {
        self.kafka.topics().events(Category::Sessions)
    }

    async fn read_until_all(&self, expected: &[Uuid], timeout: Duration) -> Vec<Record> {
        let wanted: Vec<String> = expected.iter().map(Uuid::to_string).collect();
        read_topic(
            &self.kafka.brokers,
            &self.sessions_topic(),
            timeout,
            move |records| {
                let seen: std::collections::HashSet<&str> = records
                    .iter()
                    .filter_map(|r| r.header("event_id"))
                    .collect();
                wanted.iter().all(|id| seen.contains(id.as_str()))
            },
        )
        .await
    }
}

/// The `version`th event of a principal's session stream: a start, then refreshes.
pub fn session_event(principal_id: Uuid, version: i64) -> NewEvent {
    let session_id = principal_id;
    let now = events::now();
    let event = if version == 1 {
        SessionEvent::Started(SessionStarted {
            session_id,
            principal_id,
            principal_type: PrincipalType::User,
            refresh_token_hash: format!("{version:064x}"),
            user_agent: Some("backbone-test".into()),
            ip: Some("127.0.0.1".into()),
            started_at: now,
            idle_timeout_secs: 1800,
            expires_at: now + chrono::Duration::hours(12),
        })
    } else {
        SessionEvent::Refreshed(SessionRefreshed {
            session_id,
            refresh_token_hash: format!("{version:064x}"),
            refreshed_at: now,
        })
    };
    let mut metadata = EventMetadata::new(Some(Actor::User(principal_id)));
    metadata.traceparent = Some(TRACEPARENT.into());
    NewEvent::new(&event, metadata).expect("session event payload")
}

/// Starts session `session_id` of user `principal` with refresh-token hash `hash` (30 minutes
/// idle, 10 hours in all, at most 5 at once).
pub async fn start_session(runner: &SessionRunner, principal: Uuid, session_id: Uuid, hash: &str) {
    let command = Command::Start(StartSession {
        session_id,
        principal_id: principal,
        principal_type: PrincipalType::User,
        refresh_token_hash: hash.to_owned(),
        user_agent: None,
        ip: None,
        idle_timeout: chrono::Duration::minutes(30),
        lifetime: chrono::Duration::hours(10),
        limit: 5,
    });
    execute(runner, principal, command, EventMetadata::new(None))
        .await
        .expect("session starts");
}

pub fn stream(principal_id: Uuid) -> String {
    Category::Sessions.stream_id(principal_id)
}

/// Appends `count` events to a fresh principal's stream, one append per event.
pub async fn append_events(store: &impl EventStore, principal_id: Uuid, count: i64) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for version in 1..=count {
        let event = session_event(principal_id, version);
        ids.push(event.event_id);
        store
            .append(&stream(principal_id), version - 1, vec![event])
            .await
            .expect("append");
    }
    ids
}

/// Steps `relay` until it has published `expected` events. The commit horizon is cluster-wide,
/// so another test's open transaction may hold events back for a while: poll, don't assume.
pub async fn relay_events(relay: &Relay, expected: usize) -> usize {
    let mut pipeline = relay.pipeline(relay.load_checkpoint().await.expect("checkpoint"));
    let mut published = 0;
    let deadline = tokio::time::Instant::now() + RELAY_TIMEOUT;
    while published < expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "relayed {published} of {expected} events"
        );
        match pipeline.step().await.expect("relay step") {
            StepOutcome::Published(n) => published += n,
            StepOutcome::Idle | StepOutcome::Held => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    pipeline.flush().await.expect("checkpoint written");
    published
}
